package post

import (
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// sealWithNonce seals a field with a given nonce, as a client reusing nonces would.
func sealWithNonce(t *testing.T, nonce []byte, field, text string) wire.EncryptedField {
	t.Helper()
	block, err := aes.NewCipher(rcptKey)
	if err != nil {
		t.Fatal(err)
	}
	aead, _ := cipher.NewGCM(block)
	ct := aead.Seal(nil, nonce, []byte(text), []byte("R-0001/"+field))
	return wire.EncryptedField{Nonce: base64.StdEncoding.EncodeToString(nonce), Ciphertext: base64.StdEncoding.EncodeToString(ct)}
}

func signedBy(t *testing.T, id *pki.Identity, data []byte) string {
	t.Helper()
	sig, err := cms.SignDetached(id, data)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(sig)
}

// Each check of a message (GP-W-KIND, GP-W-SIGN, GP-W-ENC) refused with its code, rule and field;
// nothing refused is kept.
func TestSendRefusals(t *testing.T) {
	e := newEnv(t, WithDeliveryDelay(time.Hour))
	_, ids := authority(t)
	cases := []struct {
		name   string
		change func(m *wire.OutgoingMessage)
		status int
		code   string
		rule   string
		field  string
	}{
		{"unknown kind", func(m *wire.OutgoingMessage) { m.Kind = "letter" }, 422, wire.CodeKind, "GP-W-KIND", "kind"},
		{"no kind", func(m *wire.OutgoingMessage) { m.Kind = "" }, 422, wire.CodeKind, "GP-W-KIND", "kind"},
		{"blank subject", func(m *wire.OutgoingMessage) { m.Subject = "  " }, 422, wire.CodeKind, "GP-W-KIND", "subject"},
		{"subject too long", func(m *wire.OutgoingMessage) { m.Subject = strings.Repeat("я", maxSubject+1) }, 422, wire.CodeKind, "GP-W-KIND", "subject"},
		{"no recipient", func(m *wire.OutgoingMessage) { m.RecipientID = "" }, 422, wire.CodeKind, "GP-W-KIND", "recipientId"},
		{"unknown recipient", func(m *wire.OutgoingMessage) { m.RecipientID = "R-9999" }, 404, wire.CodeRecipientUnknown, "GP-W-KIND", "recipientId"},
		{"no notifyUrl", func(m *wire.OutgoingMessage) { m.NotifyURL = "" }, 400, wire.CodeInvalid, "GP-W-KIND", "notifyUrl"},
		{"relative notifyUrl", func(m *wire.OutgoingMessage) { m.NotifyURL = "/notify" }, 400, wire.CodeInvalid, "GP-W-KIND", "notifyUrl"},
		{"ftp notifyUrl", func(m *wire.OutgoingMessage) { m.NotifyURL = "ftp://host/notify" }, 400, wire.CodeInvalid, "GP-W-KIND", "notifyUrl"},
		{"notifyUrl with credentials", func(m *wire.OutgoingMessage) { m.NotifyURL = "http://u:p@host/notify" }, 400, wire.CodeInvalid, "GP-W-KIND", "notifyUrl"},
		{"content not base64", func(m *wire.OutgoingMessage) { m.Document.Content = "не base64" }, 400, wire.CodeInvalid, "GP-W-SIGN", "document.content"},
		{"no content", func(m *wire.OutgoingMessage) { m.Document.Content = "" }, 400, wire.CodeInvalid, "GP-W-SIGN", "document.content"},
		{"unsigned", func(m *wire.OutgoingMessage) { m.Document.Signature = "" }, 422, wire.CodeUnsigned, "GP-W-SIGN", "document.signature"},
		{"signature not base64", func(m *wire.OutgoingMessage) { m.Document.Signature = "!!!" }, 422, wire.CodeSignature, "GP-W-SIGN", "document.signature"},
		{"signature not CMS", func(m *wire.OutgoingMessage) { m.Document.Signature = "AAAA" }, 422, wire.CodeSignature, "GP-W-SIGN", "document.signature"},
		{"signature over other bytes", func(m *wire.OutgoingMessage) {
			m.Document.Signature = signedBy(t, ids["agency"], []byte("другой документ"))
		}, 422, wire.CodeSignature, "GP-W-SIGN", "document.signature"},
		{"signed by another system", func(m *wire.OutgoingMessage) {
			m.Document.Signature = signedBy(t, ids["other"], []byte("документ"))
		}, 422, wire.CodeSignature, "GP-W-SIGN", "document.signature"},
		{"signed under another CA", func(m *wire.OutgoingMessage) {
			m.Document.Signature = signedBy(t, foreign, []byte("документ"))
		}, 422, wire.CodeSignature, "GP-W-SIGN", "document.signature"},
		{"another key id", func(m *wire.OutgoingMessage) { m.PersonalData.KeyID = "K-2" }, 422, wire.CodeKey, "GP-W-ENC", "personalData.keyId"},
		{"no full name", func(m *wire.OutgoingMessage) { delete(m.PersonalData.Fields, wire.FieldFullName) },
			422, wire.CodeKind, "GP-W-KIND", "personalData.fields.fullName"},
		{"a field not of personal data", func(m *wire.OutgoingMessage) {
			m.PersonalData.Fields["phone"] = seal(t, "R-0001", "phone", "+7 900 000-00-00")
		}, 400, wire.CodeInvalid, "GP-W-ENC", "personalData.fields.phone"},
		{"ciphertext altered", func(m *wire.OutgoingMessage) {
			f := m.PersonalData.Fields["snils"]
			ct, _ := base64.StdEncoding.DecodeString(f.Ciphertext)
			ct[0] ^= 1
			f.Ciphertext = base64.StdEncoding.EncodeToString(ct)
			m.PersonalData.Fields["snils"] = f
		}, 422, wire.CodeCiphertext, "GP-W-ENC", "personalData.fields.snils.ciphertext"},
		{"ciphertext moved to another field", func(m *wire.OutgoingMessage) {
			m.PersonalData.Fields["snils"] = m.PersonalData.Fields[wire.FieldFullName]
		}, 422, wire.CodeCiphertext, "GP-W-ENC", "personalData.fields.snils.ciphertext"},
		{"ciphertext not base64", func(m *wire.OutgoingMessage) {
			f := m.PersonalData.Fields["snils"]
			f.Ciphertext = "%%%"
			m.PersonalData.Fields["snils"] = f
		}, 422, wire.CodeCiphertext, "GP-W-ENC", "personalData.fields.snils.ciphertext"},
		{"plaintext, not sealed", func(m *wire.OutgoingMessage) {
			m.PersonalData.Fields["snils"] = wire.EncryptedField{Nonce: base64.StdEncoding.EncodeToString(make([]byte, 12)), Ciphertext: "112-233-445 95"}
		}, 422, wire.CodeCiphertext, "GP-W-ENC", "personalData.fields.snils.ciphertext"},
		{"short nonce", func(m *wire.OutgoingMessage) {
			f := m.PersonalData.Fields["snils"]
			f.Nonce = base64.StdEncoding.EncodeToString(make([]byte, 8))
			m.PersonalData.Fields["snils"] = f
		}, 422, wire.CodeNonce, "GP-W-ENC", "personalData.fields.snils.nonce"},
		{"one nonce for two fields", func(m *wire.OutgoingMessage) {
			n := randomBytes(t, wire.NonceSize)
			m.PersonalData.Fields[wire.FieldFullName] = sealWithNonce(t, n, wire.FieldFullName, "Иванов Иван Иванович")
			m.PersonalData.Fields["snils"] = sealWithNonce(t, n, "snils", "112-233-445 95")
		}, 422, wire.CodeNonce, "GP-W-ENC", "personalData.fields.snils.nonce"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			m := e.outgoing("документ")
			c.change(&m)
			r := e.do(e.agency, e.request(http.MethodPost, wire.PathMessages, mustJSON(t, m)))
			e.refusal(r, c.status, c.code, c.rule, c.field)
		})
	}
	e.t = t
	if ms := e.s.Messages(); len(ms) != 0 {
		t.Errorf("refused messages kept: %d", len(ms))
	}
	// The nonces of refused messages are not spent: the same good message is then accepted.
	m := e.outgoing("документ")
	e.sendOK(m)
}

// GP-W-ENC: a resend with the same sealed fields reuses their nonces under the recipient's key.
func TestNonceReusedAcrossMessages(t *testing.T) {
	e := newEnv(t, WithDeliveryDelay(time.Hour))
	m := e.outgoing("первый")
	e.sendOK(m)
	again := e.outgoing("второй")
	again.PersonalData = m.PersonalData
	r := e.do(e.agency, e.request(http.MethodPost, wire.PathMessages, mustJSON(t, again)))
	e.refusal(r, http.StatusUnprocessableEntity, wire.CodeNonce, "GP-W-ENC", "personalData.fields.fullName.nonce")
}

func TestMalformedBodies(t *testing.T) {
	e := newEnv(t)
	for _, c := range []struct {
		name, body, field string
	}{
		{"empty", "", "body"},
		{"not JSON", "kind=order", "body"},
		{"truncated", `{"kind":"order"`, "body"},
		{"two objects", `{"kind":"order"} {}`, "body"},
		{"subject a number", `{"kind":"order","subject":5}`, "subject"},
		{"fields an array", `{"personalData":{"fields":[]}}`, "personalData.fields"},
	} {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			r := e.do(e.agency, e.request(http.MethodPost, wire.PathMessages, []byte(c.body)))
			e.refusal(r, http.StatusBadRequest, wire.CodeInvalid, "GP-W-KIND", c.field)
		})
	}
}

// The same document sent twice keeps its first registration.
func TestRegistryKeepsFirstRegistration(t *testing.T) {
	e := newEnv(t, WithDeliveryDelay(time.Hour))
	first := e.sendOK(e.outgoing("один документ"))
	second := e.sendOK(e.outgoing("один документ"))
	if first.DocumentHash != second.DocumentHash || first.MessageID == second.MessageID {
		t.Fatalf("accepted %+v and %+v", first, second)
	}
	if entry, ok := e.s.Registry(first.DocumentHash); !ok || entry.MessageID != first.MessageID {
		t.Errorf("registry %+v", entry)
	}
}
