package nca_test

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// servedCA is an authority serving OCSP, CRL and the time-stamp service over real HTTP.
func servedCA(t *testing.T, name string) (*nca.Authority, string) {
	t.Helper()
	a, err := nca.New(name)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := a.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	return a, srv.URL()
}

func signer(t *testing.T, a *nca.Authority) *pki.Identity {
	t.Helper()
	id, err := a.Issue(nca.Subject{CommonName: "Agency signer", Organization: "Agency"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func TestTimeStampedSignature(t *testing.T) {
	a, base := servedCA(t, "TSA Test")
	id := signer(t, a)
	data := []byte("req.xml bytes")
	before := time.Now().Truncate(time.Second)
	sig, err := cms.SignDetached(id, data, cms.WithTimestamp(base+nca.TSPPath, nil))
	if err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	v := cms.Verifier{Roots: a.Roots(), RequireTimestamp: true}
	got, err := v.VerifyDetached(sig, data)
	if err != nil {
		t.Fatalf("a time-stamped signature was refused: %v", err)
	}
	if got.Timestamp.Before(before) || got.Timestamp.After(after) {
		t.Errorf("token time %v is not the time of signing (between %v and %v)", got.Timestamp, before, after)
	}
	if got.TSA == nil {
		t.Fatal("the TSA certificate is not reported")
	}
	if !criticalTimeStampingOnly(got.TSA) {
		t.Errorf("the TSA certificate's extended key usage is not a critical id-kp-timeStamping only (RFC 3161 2.3): %v", got.TSA.ExtKeyUsage)
	}
	if !bytes.Equal(got.TSA.RawIssuer, a.Intermediate().RawSubject) {
		t.Errorf("the TSA is issued by %q, want the intermediate", got.TSA.Issuer.CommonName)
	}
}

var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

func criticalTimeStampingOnly(c *x509.Certificate) bool {
	for _, e := range c.Extensions {
		if e.Id.Equal(oidExtKeyUsage) {
			return e.Critical && len(c.ExtKeyUsage) == 1 && c.ExtKeyUsage[0] == x509.ExtKeyUsageTimeStamping &&
				len(c.UnknownExtKeyUsage) == 0
		}
	}
	return false
}

// tokenOver asks the TSA over HTTP for a token over value, as any RFC 3161 client does.
func tokenOver(t *testing.T, url string, value []byte) []byte {
	t.Helper()
	query, err := timestamp.CreateRequest(bytes.NewReader(value), &timestamp.RequestOptions{Hash: crypto.SHA256, Certificates: true})
	if err != nil {
		t.Fatal(err)
	}
	reply := post(t, url, cms.TimestampQueryType, query)
	ts, err := timestamp.ParseResponse(reply)
	if err != nil {
		t.Fatalf("the TSA's reply: %v", err)
	}
	return ts.RawToken
}

func post(t *testing.T, url, contentType string, body []byte) []byte {
	t.Helper()
	resp, err := http.Post(url, contentType, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != cms.TimestampReplyType {
		t.Fatalf("HTTP %d %s: %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
	}
	return b
}

// signedWithToken is a detached signature over data carrying token as its signature time-stamp.
func signedWithToken(t *testing.T, id *pki.Identity, data, token []byte) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	err = sd.AddSignerChain(id.Certificate, id.Key, id.Chain, pkcs7.SignerInfoConfig{ExtraUnsignedAttributes: []pkcs7.Attribute{
		{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}, Value: asn1.RawValue{FullBytes: token}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestBadTimestamps(t *testing.T) {
	a, base := servedCA(t, "TSA Test")
	foreign, _ := servedCA(t, "Foreign")
	id := signer(t, a)
	data := []byte("piev_epgu.xml bytes")
	good, err := cms.SignDetached(id, data, cms.WithTimestamp(base+nca.TSPPath, nil))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		v    cms.Verifier
		sig  []byte
	}{
		{"token over other bytes", cms.Verifier{Roots: a.Roots()}, signedWithToken(t, id, data, tokenOver(t, base+nca.TSPPath, []byte("other bytes")))},
		{"token over the data instead of the signature value", cms.Verifier{Roots: a.Roots()}, signedWithToken(t, id, data, tokenOver(t, base+nca.TSPPath, data))},
		{"TSA not trusted", cms.Verifier{Roots: a.Roots(), TSARoots: foreign.Roots()}, good},
		{"token signed by a certificate not for time-stamping", cms.Verifier{Roots: a.Roots()}, stampedBy(t, id, signer(t, a), data)},
		{"token is not a token", cms.Verifier{Roots: a.Roots()}, signedWithToken(t, id, data, []byte{0x30, 0x03, 0x02, 0x01, 0x01})},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.VerifyDetached(tc.sig, data)
			var e *cms.Error
			if !errors.As(err, &e) || e.Problem != cms.BadTimestamp {
				t.Fatalf("got %v, want a BadTimestamp", err)
			}
			t.Log(err)
		})
	}
}

func TestTSARefusesAMalformedQuery(t *testing.T) {
	_, base := servedCA(t, "TSA Test")
	reply := post(t, base+nca.TSPPath, cms.TimestampQueryType, []byte("not a TimeStampReq"))
	if _, err := timestamp.ParseResponse(reply); err == nil {
		t.Fatal("a malformed query was granted a token")
	} else {
		t.Log(err)
	}
	resp, err := http.Get(base + nca.TSPPath)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET %s: HTTP %d, want 405", nca.TSPPath, resp.StatusCode)
	}
}

// stampedBy is a detached signature by id over data whose time-stamp token, over the right
// signature value, is signed by tsa: an identity the CA did not certify for time-stamping.
func stampedBy(t *testing.T, id, tsa *pki.Identity, data []byte) []byte {
	t.Helper()
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		t.Fatal(err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if err := sd.AddSignerChain(id.Certificate, id.Key, id.Chain, pkcs7.SignerInfoConfig{}); err != nil {
		t.Fatal(err)
	}
	si := &sd.GetSignedData().SignerInfos[0]
	digest := sha256.Sum256(si.EncryptedDigest)
	ts := timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: digest[:], Time: time.Now(),
		Policy: nca.TSAPolicy, AddTSACertificate: true, Certificates: tsa.Chain}
	reply, err := ts.CreateResponseWithOpts(tsa.Certificate, tsa.Key, crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	parsed, err := timestamp.ParseResponse(reply)
	if err != nil {
		t.Fatal(err)
	}
	if err := si.SetUnauthenticatedAttributes([]pkcs7.Attribute{
		{Type: asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}, Value: asn1.RawValue{FullBytes: parsed.RawToken}},
	}); err != nil {
		t.Fatal(err)
	}
	sd.Detach()
	der, err := sd.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return der
}
