package geps

import (
	"errors"
	"net/http"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/server"
	"github.com/shepconf/shepconf/simulators/gospochta/wire"
)

// authorized admits a call: a Bearer token the service's Authenticate vouches for (GP-R-AUTH) and
// the role the organisation's Gospochta needs (GP-R-ROLE); then h serves it for the caller. It
// answers the refusals itself.
func (s *Service) authorized(endpoint string, h func(http.ResponseWriter, *http.Request, wire.Caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := recordOf(r)
		rec.Endpoint = endpoint
		// GP-R-AUTH: the ESIA token by API key (Б.12) on every call, as for the rest of the EPGU API.
		raw, ok := server.Bearer(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="geps"`)
			refuse(w, r, http.StatusUnauthorized, wire.CodeUnauthorized, breach("GP-R-AUTH", "Authorization",
				msg.F("Authorization: Bearer <маркер доступа ЕСИА>"), describeHeader(r.Header.Get("Authorization")),
				msg.F("get an access token from ESIA by the system's API key and send it as a Bearer token")))
			return
		}
		caller, err := s.auth(raw)
		if caller.System != "" { // an expired token still says whose it was
			rec.System, rec.Org = caller.System, orgOf(caller)
		}
		if err != nil {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			code, fix := wire.CodeUnauthorized, msg.F("send an access token ESIA issued to the system")
			if errors.Is(err, wire.ErrTokenExpired) {
				code, fix = wire.CodeTokenExpired, msg.F("get a new access token from ESIA and repeat the request")
			}
			refuse(w, r, http.StatusUnauthorized, code, breach("GP-R-AUTH", "Authorization",
				msg.F("a valid, unexpired ESIA access token"), msg.Of(err), fix))
			return
		}
		rec.System, rec.Org = caller.System, orgOf(caller)
		// GP-R-ROLE: «Руководитель организации» or «Администратор» of the organisation.
		if !caller.HasRole(wire.RoleHead, wire.RoleAdministrator) {
			refuse(w, r, http.StatusForbidden, wire.CodeAccessDenied, breach("GP-R-ROLE", "roles",
				msg.F("the token's roles include %s («Руководитель организации») or %s («Администратор»)", wire.RoleHead, wire.RoleAdministrator),
				msg.F("roles [%s]", strings.Join(caller.Roles, ", ")),
				msg.F("get the token for an employee who is the organisation's head or administrator")))
			return
		}
		h(w, r, caller)
	})
}

// orgOf is the organisation whose Gospochta a caller reads: its OrgOID, or the system itself when
// the token names none.
func orgOf(c wire.Caller) string {
	if c.OrgOID != "" {
		return c.OrgOID
	}
	return c.System
}

func describeHeader(h string) msg.Text {
	if h == "" {
		return msg.F("no Authorization header")
	}
	scheme, _, _ := strings.Cut(h, " ")
	return msg.F("Authorization with scheme %s", scheme)
}
