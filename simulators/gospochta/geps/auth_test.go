package geps

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// GP-R-AUTH and GP-R-ROLE on every call: the refusals come before anything the call asks for.
func TestEveryCallNeedsTokenAndRole(t *testing.T) {
	e := newEnv(t)
	id := uuid.NewString()
	calls := []struct{ method, path string }{
		{"POST", wire.ReadBase + "/search"},
		{"GET", wire.ReadBase + "/search/" + id},
		{"GET", cardPath(id, id)},
		{"GET", attachmentPath(id, id, "file")},
	}
	for _, c := range calls {
		t.Run(c.method+" "+c.path[len(wire.ReadBase):], func(t *testing.T) {
			r := e.do(c.method, c.path, "", nil)
			r.refusal(t, http.StatusUnauthorized, wire.CodeUnauthorized, "GP-R-AUTH")
			if !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", r.header.Get("WWW-Authenticate"))
			}
			r = e.do(c.method, c.path, "forged", nil)
			r.refusal(t, http.StatusUnauthorized, wire.CodeUnauthorized, "GP-R-AUTH")
			if got := r.header.Get("WWW-Authenticate"); got != `Bearer error="invalid_token"` {
				t.Errorf("WWW-Authenticate = %q", got)
			}
			e.do(c.method, c.path, "expired", nil).refusal(t, http.StatusUnauthorized, wire.CodeTokenExpired, "GP-R-AUTH")
			if rec := e.last(); rec.System != "GP_AGENCY" || rec.Org != orgA {
				t.Errorf("an expired token's call logged for %q/%q, want whose token it was", rec.System, rec.Org)
			}
			e.do(c.method, c.path, "operator", nil).refusal(t, http.StatusForbidden, wire.CodeAccessDenied, "GP-R-ROLE")
			if rec := e.last(); rec.Breach == nil || rec.Breach.Rule != "GP-R-ROLE" || rec.Breach.Field.String() != "roles" || rec.Code != wire.CodeAccessDenied {
				t.Errorf("logged %+v", rec)
			}
		})
	}
}

func TestAuthorizationHeaderForms(t *testing.T) {
	e := newEnv(t)
	path := wire.ReadBase + "/search/" + uuid.NewString()
	for _, h := range []string{"Basic aGVhZDp4", "Bearer", "Bearer  ", "head", "bearer\thead"} {
		req := httptest.NewRequest("GET", path, nil)
		req.Header.Set("Authorization", h)
		w := httptest.NewRecorder()
		e.s.Handler().ServeHTTP(w, req)
		if w.Code != http.StatusUnauthorized {
			t.Errorf("Authorization %q: %d, want 401", h, w.Code)
		}
	}
	// The scheme is case-insensitive (RFC 6750): a head's token in "bearer" is admitted.
	req := httptest.NewRequest("GET", path, nil)
	req.Header.Set("Authorization", "bearer head")
	w := httptest.NewRecorder()
	e.s.Handler().ServeHTTP(w, req)
	if w.Code != http.StatusNotFound {
		t.Errorf("bearer head: %d, want 404 of the unknown task", w.Code)
	}
}

// GP-R-ROLE: the head and the administrator both read.
func TestHeadAndAdministratorRead(t *testing.T) {
	e := newEnv(t)
	for _, tok := range []string{"head", "admin"} {
		e.searchOK(tok, day(e.clock.Now()))
	}
}
