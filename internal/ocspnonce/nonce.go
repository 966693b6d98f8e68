// Package ocspnonce is the OCSP nonce (RFC 6960 4.4.1, RFC 8954) in both directions: a relying party
// puts a random nonce in its request, the responder echoes it in the signed answer, and an answer
// that echoes another nonce is one given to another request (a replay). golang.org/x/crypto/ocsp
// neither writes nor reads this extension, so the few DER elements involved are handled here.
package ocspnonce

import (
	"crypto"
	"crypto/rand"
	"crypto/x509/pkix"
	"encoding/asn1"

	"github.com/shepconf/shepconf/internal/msg"
)

// OID is id-pkix-ocsp-nonce.
var OID = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 48, 1, 2}

// Size is the length of the nonces New makes: 32 octets, the most RFC 8954 allows.
const Size = 32

// New returns a fresh random nonce.
func New() ([]byte, error) {
	n := make([]byte, Size)
	if _, err := rand.Read(n); err != nil {
		return nil, msg.Errorf("OCSP nonce: %w", err)
	}
	return n, nil
}

// AddToRequest returns the DER OCSP request req with nonce among its requestExtensions ([2] of
// TBSRequest). req must carry no extensions yet (ocsp.CreateRequest writes none).
func AddToRequest(req, nonce []byte) ([]byte, error) {
	var outer struct{ TBS asn1.RawValue }
	if rest, err := asn1.Unmarshal(req, &outer); err != nil {
		return nil, msg.Errorf("OCSP request: not one DER SEQUENCE: %v", msg.Quoted(err.Error()))
	} else if len(rest) > 0 {
		return nil, msg.Errorf("OCSP request: not one DER SEQUENCE: %d bytes follow it", len(rest))
	}
	tbs, err := withExtensions(outer.TBS, 2, nonce)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(struct{ TBS asn1.RawValue }{tbs}) // no optionalSignature: the request is unsigned
}

// OfRequest returns the nonce of a DER OCSP request, nil when it carries none.
func OfRequest(req []byte) []byte {
	var outer struct{ TBS asn1.RawValue }
	if _, err := asn1.Unmarshal(req, &outer); err != nil {
		return nil
	}
	return find(outer.TBS.Bytes, 2)
}

// OfResponse returns the nonce among the responseExtensions ([1]) of a DER ResponseData, the signed
// part of an answer (ocsp.Response.TBSResponseData), nil when it carries none.
func OfResponse(tbsResponseData []byte) []byte {
	var tbs asn1.RawValue
	if _, err := asn1.Unmarshal(tbsResponseData, &tbs); err != nil {
		return nil
	}
	return find(tbs.Bytes, 1)
}

// AddToResponse returns the DER OCSP answer resp with nonce among its responseExtensions, signed
// anew by key over SHA-256 (the hash ocsp.CreateResponse uses for RSA and P-256 keys). resp is an
// answer of ocsp.CreateResponse, which writes no response extensions.
func AddToResponse(resp, nonce []byte, key crypto.Signer) ([]byte, error) {
	var outer struct {
		Status asn1.Enumerated
		Bytes  struct {
			Type     asn1.ObjectIdentifier
			Response []byte
		} `asn1:"explicit,tag:0"`
	}
	if _, err := asn1.Unmarshal(resp, &outer); err != nil {
		return nil, msg.Errorf("OCSP response: %w", err)
	}
	var basic struct {
		TBS       asn1.RawValue
		Algorithm asn1.RawValue
		Signature asn1.BitString
		Certs     asn1.RawValue `asn1:"optional"` // kept as they are
	}
	if _, err := asn1.Unmarshal(outer.Bytes.Response, &basic); err != nil {
		return nil, msg.Errorf("OCSP basic response: %w", err)
	}
	tbs, err := withExtensions(basic.TBS, 1, nonce)
	if err != nil {
		return nil, err
	}
	der, err := asn1.Marshal(tbs)
	if err != nil {
		return nil, err
	}
	h := crypto.SHA256.New()
	h.Write(der)
	sig, err := key.Sign(rand.Reader, h.Sum(nil), crypto.SHA256)
	if err != nil {
		return nil, msg.Errorf("sign OCSP response: %w", err)
	}
	basic.TBS, basic.Signature = asn1.RawValue{FullBytes: der}, asn1.BitString{Bytes: sig, BitLength: 8 * len(sig)}
	if outer.Bytes.Response, err = asn1.Marshal(basic); err != nil {
		return nil, err
	}
	return asn1.Marshal(outer)
}

// withExtensions appends to the SEQUENCE seq an Extensions element, explicitly tagged [tag], that
// holds the nonce.
func withExtensions(seq asn1.RawValue, tag int, nonce []byte) (asn1.RawValue, error) {
	if seq.Class != asn1.ClassUniversal || seq.Tag != asn1.TagSequence {
		return seq, msg.Errorf("OCSP: the signed part is not a SEQUENCE")
	}
	if find(seq.Bytes, tag) != nil {
		return seq, msg.Errorf("OCSP: already carries a nonce")
	}
	value, err := asn1.Marshal(nonce) // Nonce ::= OCTET STRING (RFC 8954)
	if err != nil {
		return seq, err
	}
	exts, err := asn1.Marshal([]pkix.Extension{{Id: OID, Value: value}})
	if err != nil {
		return seq, err
	}
	tagged, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: tag, IsCompound: true, Bytes: exts})
	if err != nil {
		return seq, err
	}
	content := append(append([]byte{}, seq.Bytes...), tagged...)
	return asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true, Bytes: content}, nil
}

// find returns the nonce among the extensions of a TBSRequest's or ResponseData's content: the
// element tagged [tag] that follows the list of requests or responses (the only SEQUENCE before it;
// earlier tagged elements, like ResponderID byName [1], are something else).
func find(content []byte, tag int) []byte {
	afterList := false
	for rest := content; len(rest) > 0; {
		var el asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &el); err != nil {
			return nil
		}
		if el.Class == asn1.ClassUniversal && el.Tag == asn1.TagSequence {
			afterList = true
			continue
		}
		if !afterList || el.Class != asn1.ClassContextSpecific || el.Tag != tag {
			continue
		}
		var exts []pkix.Extension
		if _, err := asn1.Unmarshal(el.Bytes, &exts); err != nil {
			return nil
		}
		for _, e := range exts {
			var n []byte
			if e.Id.Equal(OID) {
				if _, err := asn1.Unmarshal(e.Value, &n); err == nil {
					return n
				}
			}
		}
	}
	return nil
}
