package nca

import (
	"bytes"
	"crypto/rand"
	"crypto/x509"
	"io"
	"math/big"
	"net/http"
	"time"

	"golang.org/x/crypto/ocsp"

	"github.com/shepconf/shepconf/internal/ocspnonce"
	"github.com/shepconf/shepconf/internal/server"
)

// Paths served by the authority.
const (
	OCSPPath   = "/ocsp"
	CRLPath    = "/crl/issuing.crl"
	IssuerPath = "/cert/issuing.cer"
	RootPath   = "/cert/root.cer"
)

// Serve starts the OCSP responder and the CRL endpoint on addr ("127.0.0.1:0" picks a port).
// Certificates issued afterwards name these URLs (AIA, CRL distribution point), as the national
// CA's certificates do.
func (a *Authority) Serve(addr string) (*server.Server, error) {
	s, err := server.Start(addr, a.Handler())
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	a.baseURL = s.URL()
	a.mu.Unlock()
	return s, nil
}

// Handler serves OCSP (RFC 6960, POST and GET), the CRL (DER) and the CA certificates.
func (a *Authority) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(OCSPPath+"/", a.serveOCSP)
	mux.HandleFunc(OCSPPath, a.serveOCSP)
	mux.HandleFunc(CRLPath, a.serveCRL)
	mux.HandleFunc(IssuerPath, func(w http.ResponseWriter, _ *http.Request) { writeCert(w, a.intermediate.Certificate) })
	mux.HandleFunc(RootPath, func(w http.ResponseWriter, _ *http.Request) { writeCert(w, a.root.Certificate) })
	mux.Handle(TSPPath, a.TSA()) // RFC 3161 time-stamp service (tsa.go)
	return mux
}

func writeCert(w http.ResponseWriter, c *x509.Certificate) {
	w.Header().Set("Content-Type", "application/pkix-cert")
	_, _ = w.Write(c.Raw)
}

func (a *Authority) serveOCSP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	on := a.ocspAvailable
	a.mu.Unlock()
	if !on {
		http.Error(w, "OCSP responder unavailable", http.StatusServiceUnavailable)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	req, err := ocsp.ParseRequest(body)
	if err != nil {
		_, _ = w.Write(ocsp.MalformedRequestErrorResponse)
		return
	}
	resp, err := a.OCSPResponse(req.SerialNumber, ocspnonce.OfRequest(body))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/ocsp-response")
	_, _ = w.Write(resp)
}

// OCSPLifetime is how long an OCSP answer of the authority is valid: its nextUpdate is thisUpdate
// plus this, and a relying party may keep it that long.
const OCSPLifetime = time.Hour

// OCSPResponse is the signed OCSP answer for a serial number: good, revoked or unknown, valid from
// a minute ago for OCSPLifetime, and echoing nonce (RFC 8954) when the request carried one. A
// certificate set with SetOCSPAnswer is answered for as set.
func (a *Authority) OCSPResponse(serial *big.Int, nonce []byte) ([]byte, error) {
	now := a.now()
	tmpl := ocsp.Response{SerialNumber: serial, ThisUpdate: now.Add(-time.Minute), NextUpdate: now.Add(-time.Minute + OCSPLifetime)}
	key := serial.Text(16)
	a.mu.Lock()
	_, issued := a.issued[key]
	at, revoked := a.revoked[key]
	answer := a.ocspAnswers[key]
	a.mu.Unlock()
	switch {
	case answer == OCSPUnknown:
		tmpl.Status = ocsp.Unknown
	case revoked:
		tmpl.Status, tmpl.RevokedAt, tmpl.RevocationReason = ocsp.Revoked, at, ocsp.KeyCompromise
	case issued:
		tmpl.Status = ocsp.Good
	default:
		tmpl.Status = ocsp.Unknown
	}
	switch answer {
	case OCSPStale:
		tmpl.ThisUpdate, tmpl.NextUpdate = now.Add(-2*OCSPLifetime), now.Add(-OCSPLifetime)
	case OCSPWrongNonce:
		if nonce = bytes.Clone(nonce); len(nonce) == 0 {
			nonce = []byte("another request's nonce")
		}
		nonce[0] ^= 0xff
	case OCSPNoNonce:
		nonce = nil
	}
	// Signed directly by the issuing CA, as RFC 6960 allows.
	resp, err := ocsp.CreateResponse(a.intermediate.Certificate, a.intermediate.Certificate, tmpl, a.intermediate.Key)
	if err != nil || len(nonce) == 0 {
		return resp, err
	}
	return ocspnonce.AddToResponse(resp, nonce, a.intermediate.Key)
}

func (a *Authority) serveCRL(w http.ResponseWriter, _ *http.Request) {
	crl, err := a.CRL()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/pkix-crl")
	_, _ = w.Write(crl)
}

// CRL is the issuing CA's current certificate revocation list (DER).
func (a *Authority) CRL() ([]byte, error) {
	now := a.now()
	a.mu.Lock()
	var entries []x509.RevocationListEntry
	for key, at := range a.revoked {
		n, _ := new(big.Int).SetString(key, 16)
		entries = append(entries, x509.RevocationListEntry{SerialNumber: n, RevocationTime: at})
	}
	a.mu.Unlock()
	tmpl := &x509.RevocationList{
		Number:                    big.NewInt(now.UnixNano()),
		ThisUpdate:                now.Add(-time.Minute),
		NextUpdate:                now.Add(time.Hour),
		RevokedCertificateEntries: entries,
	}
	return x509.CreateRevocationList(rand.Reader, tmpl, a.intermediate.Certificate, a.intermediate.Key)
}
