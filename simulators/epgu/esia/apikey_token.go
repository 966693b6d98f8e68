package esia

import (
	"net/http"

	"github.com/shepconf/shepconf/internal/msg"
)

// apiKeyTokenResponse is Б.12's answer: the token under accessTkn, as every client seen reads it
// (yellow444/epgu python-epgu auth/org.py). ESIA's other fields, if any, are not known; clients take
// the lifetime from the token's exp.
type apiKeyTokenResponse struct {
	AccessTkn string `json:"accessTkn"`
}

// serveAPIKeyToken is Б.12 «Сервис получения маркера доступа по идентификационному ключу»
// (ESIA-B12, spec §1.1): GET …/ext-app/{apiKey}/tkn?signature=, where signature is the base64url
// detached signature of the key's text by the organisation's certificate (consumer's guide §2:
// «подпись передаваемого идентификационного ключа сертификатом ЭП»; v2.2 of the guide: urlSafeBase64).
// The token is the employee's (the key's UserOID) for the organisation, with the EPGU scope.
func (e *ESIA) serveAPIKeyToken(w http.ResponseWriter, req *http.Request) {
	key := req.PathValue("apiKey")
	mnemonic := ""
	fail := func(r *refusal) {
		e.recordRefusal(mnemonic, PathAPIKeyToken, GrantAPIKey, r)
		writeRefusal(w, r, "")
	}
	p := params{v: req.URL.Query(), ruleID: RuleB12}
	if r := p.duplicated(); r != nil {
		fail(r)
		return
	}
	if r := p.missing("signature"); r != nil {
		fail(r)
		return
	}
	rec, ok := e.lookupAPIKey(key)
	if !ok {
		r := refuse(apiKeyUnknown, RuleB12, "apiKey", msg.F("an API key created on the technological portal"), msg.Raw(key),
			msg.F("use the key from the file the portal gave (its UUID), not a placeholder; create a new one if it was deleted"))
		r.status = http.StatusNotFound
		fail(r)
		return
	}
	mnemonic = rec.mnemonic
	sys, _ := e.system(mnemonic)
	if r := e.checkSecret(sys, signed{rule: RuleB12, field: "signature", secret: p.v.Get("signature"), data: []byte(key),
		what: "the API key as it is in the path"}); r != nil {
		fail(r)
		return
	}
	scopes := []string{ScopeAPIOrder, "http://esia.gosuslugi.ru/org_ogrn?org_oid=" + sys.OrgOID}
	t, err := e.issue(grant{sys: sys, scopes: scopes})
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	e.record(Event{Mnemonic: mnemonic, Endpoint: PathAPIKeyToken, Grant: GrantAPIKey, Outcome: Issued})
	writeJSON(w, http.StatusOK, apiKeyTokenResponse{AccessTkn: t.access})
}
