package cms

import (
	"crypto/x509"
	"encoding/asn1"
	"net/http"

	"github.com/digitorus/pkcs7"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
)

// oidSignatureTimeStampToken is id-aa-signatureTimeStampToken (RFC 3161 appendix A, RFC 5126
// CAdES-T): an unsigned attribute holding a time-stamp token over the signature value.
var oidSignatureTimeStampToken = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 14}

// SignOption changes how SignDetached signs.
type SignOption func(*signConfig)

type signConfig struct {
	tsaURL string
	client *http.Client
}

// WithTimestamp adds an RFC 3161 signature time-stamp token (CAdES-T, unsigned attribute
// id-aa-signatureTimeStampToken 1.2.840.113549.1.9.16.2.14 over the signature value) obtained from
// tsaURL. A nil client is http.DefaultClient.
func WithTimestamp(tsaURL string, client *http.Client) SignOption {
	return func(c *signConfig) { c.tsaURL, c.client = tsaURL, client }
}

// SignDetached signs data by id (certificate and chain included), detached, DER. The digest is
// SHA-256; the signature algorithm follows the key (RSA PKCS#1 v1.5 or ECDSA).
func SignDetached(id *pki.Identity, data []byte, opts ...SignOption) ([]byte, error) {
	var cfg signConfig
	for _, o := range opts {
		o(&cfg)
	}
	if id == nil || id.Certificate == nil || id.Key == nil {
		return nil, msg.Errorf("cms: sign: the identity has no certificate or key")
	}
	sd, err := pkcs7.NewSignedData(data)
	if err != nil {
		return nil, msg.Errorf("cms: sign: %w", err)
	}
	sd.SetDigestAlgorithm(pkcs7.OIDDigestAlgorithmSHA256)
	if len(id.Chain) > 0 {
		err = sd.AddSignerChain(id.Certificate, id.Key, id.Chain, pkcs7.SignerInfoConfig{})
	} else {
		err = sd.AddSigner(id.Certificate, id.Key, pkcs7.SignerInfoConfig{})
	}
	if err != nil {
		return nil, msg.Errorf("cms: sign as %s: %w", id.Certificate.Subject.CommonName, err)
	}
	if cfg.tsaURL != "" {
		// The token is over the signature value, so it is asked for after signing and added as
		// an unsigned attribute, which leaves the signature intact (RFC 3161 appendix A).
		si := &sd.GetSignedData().SignerInfos[0]
		token, err := requestToken(cfg.tsaURL, cfg.client, si.EncryptedDigest)
		if err != nil {
			return nil, msg.Errorf("cms: sign: time-stamp from %s: %w", cfg.tsaURL, err)
		}
		if err := si.SetUnauthenticatedAttributes([]pkcs7.Attribute{
			{Type: oidSignatureTimeStampToken, Value: asn1.RawValue{FullBytes: token}},
		}); err != nil {
			return nil, msg.Errorf("cms: sign: add the time-stamp token: %w", err)
		}
	}
	sd.Detach()
	return sd.Finish()
}

// chainOf is the certificates a signature carries, as an intermediate pool for path building.
func chainOf(extra *x509.CertPool, certs []*x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	if extra != nil {
		p = extra.Clone()
	}
	for _, c := range certs {
		p.AddCert(c)
	}
	return p
}
