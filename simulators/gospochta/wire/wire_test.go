package wire_test

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// The packet MAC is HMAC-SHA-256 over the canonical text; the expected value was computed apart,
// with Python's hmac module over the same bytes, so both sides of the wire agree to the bit.
func TestPacketMACMatchesAnIndependentComputation(t *testing.T) {
	key := make([]byte, 32)
	for i := range key {
		key[i] = byte(i)
	}
	got := wire.PacketMAC(key, "post", "/gospochta/api/v1/messages?x=1", "0b8f6c9e-3d2a-4f1b-9c7e-5a4d3b2c1e0f", []byte(`{"kind":"order"}`))
	if want := "2NESHo1QYjbOtd5eT2iO6wrhbEPpmS1MVaBsUFfuFJQ="; got != want {
		t.Fatalf("PacketMAC = %s, want %s", got, want)
	}
}

func TestVerifyPacketRefusesAnyChange(t *testing.T) {
	key := bytes.Repeat([]byte{7}, 32)
	body := []byte(`{"kind":"order"}`)
	signed := func() *httptestRequest {
		r := httptest.NewRequest("POST", "/gospochta/api/v1/messages?x=1", nil)
		r.Header.Set(wire.HeaderRequestID, "0b8f6c9e-3d2a-4f1b-9c7e-5a4d3b2c1e0f")
		wire.SignPacket(key, r, body)
		return &httptestRequest{r}
	}
	if r := signed(); !wire.VerifyPacket(key, r.Request, body) {
		t.Fatal("a signed packet does not verify")
	}
	cases := map[string]func(r *httptestRequest) []byte{
		"body": func(*httptestRequest) []byte { return []byte(`{"kind":"court-notice"}`) },
		"request id": func(r *httptestRequest) []byte {
			r.Header.Set(wire.HeaderRequestID, "1b8f6c9e-3d2a-4f1b-9c7e-5a4d3b2c1e0f")
			return body
		},
		"query":      func(r *httptestRequest) []byte { r.RequestURI = "/gospochta/api/v1/messages?x=2"; return body },
		"method":     func(r *httptestRequest) []byte { r.Method = "PUT"; return body },
		"no header":  func(r *httptestRequest) []byte { r.Header.Del(wire.HeaderHMAC); return body },
		"not base64": func(r *httptestRequest) []byte { r.Header.Set(wire.HeaderHMAC, "%%%"); return body },
	}
	for name, change := range cases {
		r := signed()
		if b := change(r); wire.VerifyPacket(key, r.Request, b) {
			t.Errorf("%s changed, still verifies", name)
		}
	}
	if r := signed(); wire.VerifyPacket(bytes.Repeat([]byte{8}, 32), r.Request, body) {
		t.Error("verifies under another key")
	}
}

type httptestRequest struct{ *http.Request }

func TestSealedFieldsOpenOnlyAsSealed(t *testing.T) {
	key := bytes.Repeat([]byte{1}, 32)
	f, err := wire.SealField(key, "R-0001", "snils", "112-233-445 95")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := wire.OpenField(key, "R-0001", "snils", f); err != nil || got != "112-233-445 95" {
		t.Fatalf("OpenField = %q, %v", got, err)
	}
	again, _ := wire.SealField(key, "R-0001", "snils", "112-233-445 95")
	if again.Nonce == f.Nonce || again.Ciphertext == f.Ciphertext {
		t.Error("two seals of the same field share a nonce or a ciphertext")
	}
	ct, _ := base64.StdEncoding.DecodeString(f.Ciphertext)
	ct[0] ^= 1
	tampered := wire.EncryptedField{Nonce: f.Nonce, Ciphertext: base64.StdEncoding.EncodeToString(ct)}
	for name, open := range map[string]func() (string, error){
		"tampered ciphertext": func() (string, error) { return wire.OpenField(key, "R-0001", "snils", tampered) },
		"other field":         func() (string, error) { return wire.OpenField(key, "R-0001", "inn", f) },
		"other recipient":     func() (string, error) { return wire.OpenField(key, "R-0002", "snils", f) },
		"other key":           func() (string, error) { return wire.OpenField(bytes.Repeat([]byte{2}, 32), "R-0001", "snils", f) },
		"short nonce": func() (string, error) {
			return wire.OpenField(key, "R-0001", "snils", wire.EncryptedField{Nonce: "AAAA", Ciphertext: f.Ciphertext})
		},
	} {
		if got, err := open(); err == nil {
			t.Errorf("%s: opened to %q", name, got)
		}
	}
	if _, err := wire.SealField(key[:16], "R-0001", "snils", "x"); err == nil || !strings.Contains(err.Error(), "32-byte") {
		t.Errorf("a 16-byte key: err = %v, want one naming the 32-byte key", err)
	}
}
