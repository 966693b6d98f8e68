package nca

import (
	"crypto"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sync"
	"time"

	"github.com/digitorus/timestamp"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
)

// TSPPath is where the authority's time-stamp service (RFC 3161 over HTTP, section 3.4) answers:
// POST a TimeStampReq as application/timestamp-query, get a TimeStampResp as
// application/timestamp-reply. EPGU wants every signature of an order's archive stamped
// (EPGU-2.1.3, CAdES-T); the walkthrough calls this the "time-stamp service".
const TSPPath = "/tsp"

// TSAPolicy is the policy under which the simulated TSA stamps. It lies under 2.999, the arc ITU-T
// X.660 reserves for examples, so that it is never taken for a real TSA's policy.
var TSAPolicy = asn1.ObjectIdentifier{2, 999, 3161, 1}

const (
	maxTSPQuery = 16 << 10 // a TimeStampReq is a few hundred bytes
)

// oidExtKeyUsage is the extended key usage extension (RFC 5280 4.2.1.12).
var oidExtKeyUsage = asn1.ObjectIdentifier{2, 5, 29, 37}

// TSA is the authority's time-stamp authority: a certificate of its own from the issuing CA, whose
// only, critical extended key usage is id-kp-timeStamping (RFC 3161 section 2.3).
type TSA struct {
	a    *Authority
	once sync.Once
	id   *pki.Identity
	err  error
}

// TSA gives the authority's time-stamp service, one per authority; its certificate is issued on
// first use.
func (a *Authority) TSA() *TSA {
	a.tsaOnce.Do(func() { a.tsa = &TSA{a: a} })
	return a.tsa
}

// Identity is the TSA's certificate (and chain) and key.
func (t *TSA) Identity() (*pki.Identity, error) {
	t.once.Do(func() {
		// RFC 3161 2.3: the TSA certificate has exactly one extended key usage, id-kp-timeStamping,
		// marked critical. crypto/x509 writes the extension non-critical, so it is given as is.
		eku, err := asn1.Marshal([]asn1.ObjectIdentifier{{1, 3, 6, 1, 5, 5, 7, 3, 8}})
		if err != nil {
			t.err = err
			return
		}
		now := t.a.now()
		t.id, t.err = t.a.issue(Subject{CommonName: t.a.name + " Time-Stamp Authority", Organization: t.a.name}, pki.ECDSAP256,
			&x509.Certificate{
				NotBefore:       now.Add(-time.Hour),
				NotAfter:        now.AddDate(5, 0, 0),
				KeyUsage:        x509.KeyUsageDigitalSignature | x509.KeyUsageContentCommitment,
				ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
			})
	})
	return t.id, t.err
}

// ServeHTTP answers a time-stamp query. A query it cannot parse or honour is answered, as RFC 3161
// 2.4.2 wants, by a TimeStampResp with status rejection and its failure info, not by an HTTP error.
func (t *TSA) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST a TimeStampReq as "+cms.TimestampQueryType+" (RFC 3161 3.4)", http.StatusMethodNotAllowed)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != cms.TimestampQueryType {
		http.Error(w, fmt.Sprintf("Content-Type %q: a time-stamp query is sent as %s (RFC 3161 3.4)",
			r.Header.Get("Content-Type"), cms.TimestampQueryType), http.StatusUnsupportedMediaType)
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxTSPQuery+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	reply, err := t.reply(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", cms.TimestampReplyType)
	_, _ = w.Write(reply)
}

func (t *TSA) reply(query []byte) ([]byte, error) {
	if len(query) > maxTSPQuery {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadRequest)
	}
	req, err := timestamp.ParseRequest(query)
	if err != nil {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadDataFormat)
	}
	if !req.HashAlgorithm.Available() || req.HashAlgorithm == crypto.SHA1 ||
		len(req.HashedMessage) != req.HashAlgorithm.Size() {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.BadAlgorithm)
	}
	if req.TSAPolicyOID != nil && !req.TSAPolicyOID.Equal(TSAPolicy) {
		return timestamp.CreateErrorResponse(timestamp.Rejection, timestamp.UnacceptedPolicy)
	}
	id, err := t.Identity()
	if err != nil {
		return nil, fmt.Errorf("time-stamp authority: %w", err)
	}
	ts := timestamp.Timestamp{
		HashAlgorithm:     req.HashAlgorithm,
		HashedMessage:     req.HashedMessage,
		Time:              t.a.now(),
		Nonce:             req.Nonce,
		Policy:            TSAPolicy,
		AddTSACertificate: req.Certificates, // RFC 3161 2.4.1 certReq
		Certificates:      id.Chain,
	}
	return ts.CreateResponseWithOpts(id.Certificate, id.Key, crypto.SHA256)
}
