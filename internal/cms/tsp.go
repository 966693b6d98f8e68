package cms

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/subtle"
	"crypto/x509"
	"io"
	"math/big"
	"net/http"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/shepconf/shepconf/internal/msg"
)

// Media types of RFC 3161 over HTTP (section 3.4).
const (
	TimestampQueryType = "application/timestamp-query"
	TimestampReplyType = "application/timestamp-reply"
)

// maxReply bounds what is read from a TSA: a token is a few kilobytes.
const maxReply = 1 << 20

// requestToken asks the TSA at url for a token over value (SHA-256 imprint, with a nonce and the
// TSA's certificate) and returns the token (a ContentInfo, DER) once it checked that the reply
// answers this request.
func requestToken(url string, client *http.Client, value []byte) ([]byte, error) {
	if client == nil {
		client = http.DefaultClient
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	query, err := timestamp.CreateRequest(bytes.NewReader(value),
		&timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true, Nonce: nonce})
	if err != nil {
		return nil, err
	}
	resp, err := client.Post(url, TimestampQueryType, bytes.NewReader(query))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	reply, err := io.ReadAll(io.LimitReader(resp.Body, maxReply))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, msg.Errorf("HTTP %d: %s", resp.StatusCode, string(bytes.TrimSpace(reply[:min(len(reply), 200)])))
	}
	ts, err := timestamp.ParseResponse(reply)
	if err != nil {
		return nil, msg.Errorf("the reply is not a granted time-stamp: %w", err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, msg.Errorf("the reply's nonce is not the request's: it answers another request")
	}
	if !imprintMatches(ts, value) {
		return nil, msg.Errorf("the reply's message imprint is not over the signature value")
	}
	return ts.RawToken, nil
}

func imprintMatches(ts *timestamp.Timestamp, value []byte) bool {
	if !ts.HashAlgorithm.Available() {
		return false
	}
	h := ts.HashAlgorithm.New()
	h.Write(value)
	return subtle.ConstantTimeCompare(h.Sum(nil), ts.HashedMessage) == 1
}

// verifyToken checks a signature time-stamp token: it is a valid RFC 3161 token, its imprint is
// over value (the signature value it stamps), and its TSA's certificate chains to roots for
// time-stamping at the token's time.
func verifyToken(token, value []byte, roots, intermediates *x509.CertPool) (*timestamp.Timestamp, *x509.Certificate, error) {
	if algo := gostIn(token); algo != "" {
		return nil, nil, fail(NotSupported, msg.F("the time-stamp token uses %s: %s", algo, gostNote))
	}
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, nil, fail(BadTimestamp, msg.F("the time-stamp token is not a valid RFC 3161 token: %v", err))
	}
	if !imprintMatches(ts, value) {
		return nil, nil, fail(BadTimestamp, msg.F("the time-stamp token is not over this signature's value (its message imprint differs)"))
	}
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, fail(BadTimestamp, msg.F("the time-stamp token: %v", err))
	}
	tsa := p7.GetOnlySigner()
	if tsa == nil {
		return nil, nil, fail(BadTimestamp, msg.F("the time-stamp token does not carry its TSA's certificate (request it with certReq true)"))
	}
	if _, err := tsa.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: chainOf(intermediates, p7.Certificates),
		CurrentTime:   ts.Time,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	}); err != nil {
		return nil, nil, fail(BadTimestamp, msg.F("the TSA %q is not trusted for time-stamping at %s: %v",
			tsa.Subject.CommonName, ts.Time.UTC().Format(time.RFC3339), err))
	}
	return ts, tsa, nil
}
