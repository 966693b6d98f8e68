package shep

import (
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// JOSE (internal/jose, on go-jose) and crypto/tls have no GOST 34.310 algorithm: a certificate that
// a message is sealed with or to (A6-S3), or that is presented over HTTPS, must have an RSA
// or ECDSA key. In a run with GOST keys every system therefore holds, beside the GOST certificate it
// signs its SOAP messages with (R-54, World.identities), a second NCA certificate of the same
// subject with a key of type pki.TLSKeyType(Key) for JOSE and TLS, as an organisation holds an
// authentication certificate beside its signing one. In an RSA or ECDSA run the two are one. The
// test acts of the portal are signed with it too: internal/forms signs them with goxmldsig, which
// has no GOST either.

// joseKey is the key type of the certificates a scenario issues for JOSE or TLS alone.
func (w *World) joseKey() pki.KeyType { return pki.TLSKeyType(w.suite.Key) }

// joseIdentity is the certificate systemID seals, decrypts and presents over HTTPS with: its EDS
// registration certificate when JOSE and TLS can use its key, else the companion of that
// certificate (see joseCompanion).
func (w *World) joseIdentity(systemID string) (*pki.Identity, error) {
	id, ok := w.identities[systemID]
	if !ok {
		return nil, msg.Errorf("%s has no certificate", systemID)
	}
	return w.joseCompanion(id)
}

// joseCompanion is id itself unless its key is GOST; then a certificate of id's subject (name, BIN,
// IIN, organisation) from the run's NCA with a key of type joseKey, issued once per scenario.
func (w *World) joseCompanion(id *pki.Identity) (*pki.Identity, error) {
	if !id.HasGOSTKey() {
		return id, nil
	}
	if c, ok := w.companions[id]; ok {
		return c, nil
	}
	c := id.Certificate
	iin, bin := pki.IdentifiersOf(c)
	s := nca.Subject{CommonName: c.Subject.CommonName, IIN: iin, BIN: bin}
	if len(c.Subject.Organization) > 0 {
		s.Organization = c.Subject.Organization[0]
	}
	companion, err := w.suite.NCA.Issue(s, w.joseKey())
	if err != nil {
		return nil, err
	}
	if w.companions == nil {
		w.companions = map[*pki.Identity]*pki.Identity{}
	}
	w.companions[id] = companion
	return companion, nil
}
