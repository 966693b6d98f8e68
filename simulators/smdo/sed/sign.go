package sed

import (
	"encoding/base64"
	"encoding/hex"
	"errors"

	"github.com/shepconf/shepconf/internal/cms"
)

// sign makes the detached CMS signature of a file's bytes with the system's certificate in it
// (SMDO-SIGN). STB 34.101 is not available, so the key is RSA or ECDSA.
func (c *Client) sign(data []byte) ([]byte, error) {
	if c.cfg.Identity == nil {
		return nil, errors.New("no identity to sign with")
	}
	return cms.SignDetached(c.cfg.Identity, data)
}

// signOf is the sign put to …/signs for a signature: the key id (the certificate's subject key
// identifier, else its serial, in hex), the signer (its subject's common name) and the DER in base64.
func (c *Client) signOf(sig []byte) (sign, error) {
	id := c.cfg.Identity
	if id == nil || id.Certificate == nil {
		return sign{}, errors.New("no identity to sign with")
	}
	keyID := hex.EncodeToString(id.Certificate.SubjectKeyId)
	if keyID == "" {
		keyID = id.Certificate.SerialNumber.Text(16)
	}
	return sign{KeyID: keyID, Signer: id.Certificate.Subject.CommonName, OperationType: "sign",
		OrigSignatire: "true", Data: base64.StdEncoding.EncodeToString(sig)}, nil
}
