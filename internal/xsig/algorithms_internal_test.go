package xsig

import (
	"crypto"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/envelope"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// resign rewrites the algorithm URIs of a signed envelope and signs its SignedInfo again with hash,
// as a client that writes those URIs would have.
func resign(t *testing.T, doc []byte, id *pki.Identity, hash crypto.Hash, replacer *strings.Replacer) []byte {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(replacer.Replace(string(doc))); err != nil {
		t.Fatal(err)
	}
	si := d.FindElement("//SignedInfo")
	c, err := canonicalize(si, "")
	if err != nil {
		t.Fatal(err)
	}
	v, err := SignatureValue(id.Key, c, hash)
	if err != nil {
		t.Fatal(err)
	}
	d.FindElement("//SignatureValue").SetText(base64.StdEncoding.EncodeToString(v))
	out, err := d.WriteToBytes()
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// The non-standard xmldsig-more URIs for RSA-SHA1 and SHA-1 that sample code copied by agencies
// writes are accepted like the W3C ones, with the same single remark; so is a SHA-1 digest under
// RSA-SHA256.
func TestVerifyAcceptsSHA1Variants(t *testing.T) {
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	id, err := ca.Issue(nca.Subject{CommonName: "IS", BIN: "123456789012"}, pki.RSA2048)
	if err != nil {
		t.Fatal(err)
	}
	var m envelope.SendMessage
	m.Request.RequestInfo = envelope.SyncMessageInfo{MessageID: "m1", ServiceID: "S1", MessageDate: envelope.Now(),
		Sender: envelope.SenderInfo{SenderID: "IS-A", Password: "p"}}
	doc, err := envelope.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sha1, err := Sign(doc, id, WithSHA1())
	if err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]struct {
		hash     crypto.Hash
		replacer *strings.Replacer
	}{
		"xmldsig-more rsa-sha1 and sha1": {crypto.SHA1, strings.NewReplacer(`"`+RSASHA1+`"`, `"`+RSASHA1More+`"`, `"`+SHA1+`"`, `"`+SHA1More+`"`)},
		"RSA-SHA256 over SHA-1 digests":  {crypto.SHA256, strings.NewReplacer(`"`+RSASHA1+`"`, `"`+RSASHA256+`"`)},
	} {
		t.Run(name, func(t *testing.T) {
			signed := resign(t, sha1, id, c.hash, c.replacer)
			s, err := Verify(signed)
			if err != nil {
				t.Fatalf("refused: %v\n%s", err, signed)
			}
			if len(s.Remarks) != 1 || s.Remarks[0].Code != RemarkSHA1 {
				t.Fatalf("remarks %+v, want one %s", s.Remarks, RemarkSHA1)
			}
			altered := strings.Replace(string(signed), "<messageId>m1</messageId>", "<messageId>m2</messageId>", 1)
			if _, err := Verify([]byte(altered)); ProblemOf(err) != Invalid {
				t.Fatalf("altered body: %v", err)
			}
		})
	}
}
