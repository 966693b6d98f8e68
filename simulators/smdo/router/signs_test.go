package router

import (
	"bytes"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/cms"
)

// SMDO-SIGN: each sign is verified when it is put: a detached CMS over the file's bytes, by a
// certificate of the sender that chains to the router's roots. A refused call leaves the file's
// signs as they were.
func TestSignsVerified(t *testing.T) {
	e := newEnv(t)
	_, ids := authority(t)
	tok := e.token(e.agency)
	file := []byte("%PDF-1.7 the letter")
	id := e.create(tok, documentPacket(e.agency, []string{"a.pdf"}, e.ministry))
	aid := e.attach(tok, id, "a.pdf", file)

	r := e.signReply(tok, id, aid, signature(t, e.agency.id, file))
	if r.status != http.StatusOK {
		t.Fatalf("%d %s", r.status, r.body)
	}
	m := r.json(t)
	att := m["attachments"].([]any)[0].(map[string]any)
	if signs := att["sign"].([]any); len(signs) != 1 || signs[0].(map[string]any)["operationType"] != "null" || signs[0].(map[string]any)["keyId"] != nil {
		t.Errorf("signs as answered: %v", att["sign"])
	}
	p := e.pkg(id)
	if p.State != StateSigned || len(p.Attachments[0].Verified) != 1 || p.Attachments[0].Verified[0].Subject != "agency signer" {
		t.Fatalf("state %s, verified %+v", p.State, p.Attachments[0].Verified)
	}

	for _, c := range []struct {
		name, sign, observed string
	}{
		{"over other bytes", signature(t, e.agency.id, []byte("other bytes")), "bad signature"},
		{"not the sender's certificate", signature(t, ids["stranger"], file), "not a certificate of the sender"},
		{"another CA", signature(t, foreign, file), "does not chain"},
		{"not base64", "@@@", "not base64"},
		{"not CMS", base64.StdEncoding.EncodeToString([]byte("not a signature")), "malformed"},
		{"empty", "", "empty"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := e.signReply(tok, id, aid, signature(t, e.agency.id, file), c.sign)
			m := r.refusal(t, http.StatusBadRequest, "SMDO-SIGN", "[1].data")
			if !strings.Contains(m["message"].(string), c.observed) {
				t.Errorf("message does not say %q: %s", c.observed, m["message"])
			}
			if p := e.pkg(id); p.State != StateSigned || len(p.Attachments[0].Signs) != 1 {
				t.Errorf("the refused call changed the signs: %+v", p.Attachments[0].Signs)
			}
		})
	}
	e.postJSON("PUT", outgoingPath+"/"+id+"/attach/"+aid+"/signs", tok, []any{}).refusal(t, http.StatusBadRequest, "SMDO-SIGN", "request body")
	e.postJSON("PUT", outgoingPath+"/"+id+"/attach/"+aid+"/signs", tok, map[string]any{"data": "x"}).refusal(t, http.StatusBadRequest, "SMDO-SIGN", "request body")
	e.postJSON("PUT", outgoingPath+"/"+id+"/attach/"+aid+"/signs", tok, []any{map[string]any{"data": map[string]any{}}}).refusal(t, http.StatusBadRequest, "SMDO-SIGN", "[0].data")
	e.signReply(tok, id, "nope", signature(t, e.agency.id, file)).refusal(t, http.StatusNotFound, "SMDO-SEND", "attachId")

	// two signs of the file, both verified
	if r := e.signReply(tok, id, aid, signature(t, e.agency.id, file), signature(t, e.agency.id, file)); r.status != http.StatusOK {
		t.Fatalf("two signs: %d %s", r.status, r.body)
	}
	if v := e.pkg(id).Attachments[0].Verified; len(v) != 2 || v[1].Sign != 1 {
		t.Errorf("verified %+v", v)
	}
}

// SMDO-SIGN: a signature with the Belarusian STB 34.101 algorithms is reported as not supported,
// naming the algorithm, not as broken.
func TestSTBNotSupported(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	file := []byte("letter")
	id := e.create(tok, documentPacket(e.agency, []string{"a.pdf"}, e.ministry))
	aid := e.attach(tok, id, "a.pdf", file)
	der, err := cms.SignDetached(e.agency.id, file)
	if err != nil {
		t.Fatal(err)
	}
	// SHA-256 (2.16.840.1.101.3.4.2.1) becomes belt-hash (1.2.112.0.2.0.34.101.31.81): both OIDs are
	// nine bytes, so the structure stays well-formed.
	sha256OID := []byte{0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01}
	beltHash := []byte{0x06, 0x09, 0x2A, 0x70, 0x00, 0x02, 0x00, 0x22, 0x65, 0x1F, 0x51}
	if !bytes.Contains(der, sha256OID) {
		t.Fatal("the signature names no SHA-256")
	}
	stb := bytes.ReplaceAll(der, sha256OID, beltHash)
	m := e.signReply(tok, id, aid, base64.StdEncoding.EncodeToString(stb)).refusal(t, http.StatusBadRequest, "SMDO-SIGN", "[0].data")
	msg := m["message"].(string)
	if !strings.Contains(msg, "1.2.112.0.2.0.34.101.31.81") || !strings.Contains(msg, "STB 34.101.31") || !strings.Contains(msg, "not support") {
		t.Errorf("the refusal does not name the STB algorithm as not supported: %s", msg)
	}
	if strings.Contains(msg, "bad signature") || strings.Contains(msg, "malformed") {
		t.Errorf("an STB signature reported as broken: %s", msg)
	}
}

// SMDO-SIGN: DELETE …/signs removes a file's signatures; the package is no longer signed.
func TestUnsign(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.agency)
	id := e.prepare(tok, e.agency, documentPacket(e.agency, []string{"a.pdf"}, e.ministry), map[string][]byte{"a.pdf": []byte("A")})
	aid := e.pkg(id).Attachments[0].ID
	if r := e.do("DELETE", outgoingPath+"/"+id+"/attach/"+aid+"/signs", tok, "", nil); r.status != http.StatusNoContent {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if p := e.pkg(id); p.State != StateAttached || len(p.Attachments[0].Signs) != 0 || len(p.Attachments[0].Verified) != 0 {
		t.Errorf("state %s, attachment %+v", p.State, p.Attachments[0])
	}
}
