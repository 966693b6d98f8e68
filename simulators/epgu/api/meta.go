package api

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

var okato = regexp.MustCompile(`^[0-9]{2,11}$`)

// parseMeta reads the JSON object of /order or of a push's meta part (EPGU-T6). The names are
// matched exactly as the samples write them: Table 6 capitalises them (ServiceCode), the samples and
// the clients at hand do not, and a Java service reads JSON names case-sensitively.
func parseMeta(body []byte, id string) (Meta, *rule.Breach) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return Meta{}, br(id, "meta", msg.F(`a JSON object {"region","serviceCode","targetCode"}`), msg.F("not a JSON object: %v", err), msg.F("send the metadata as JSON"))
	}
	var m Meta
	for _, f := range []struct {
		name string
		dst  *string
	}{{"region", &m.Region}, {"serviceCode", &m.ServiceCode}, {"targetCode", &m.TargetCode}} {
		v, ok := raw[f.name]
		if !ok {
			observed := msg.F("no field %s", f.name)
			for k := range raw {
				if strings.EqualFold(k, f.name) {
					observed = msg.F("field %s (names are case-sensitive)", k)
				}
			}
			return Meta{}, br(id, f.name, msg.F("the string field %s", f.name), observed, msg.F("send region, serviceCode and targetCode as the samples write them"))
		}
		if err := json.Unmarshal(v, f.dst); err != nil || *f.dst == "" {
			return Meta{}, br(id, f.name, msg.F("a non-empty string"), msg.Raw(string(v)), msg.F("send %s as a JSON string", f.name))
		}
	}
	if !okato.MatchString(m.Region) {
		return Meta{}, br(id, "region", msg.F("an OKATO code of 2 to 11 digits"), msg.Raw(fmt.Sprintf("%q", m.Region)), msg.F("send the user's OKATO code, or the region's"))
	}
	return m, nil
}

// br is a rule.Breach written on one line.
func br(id, field string, expected, observed, fix msg.Text) *rule.Breach {
	return &rule.Breach{Rule: id, Field: msg.Raw(field), Expected: expected, Observed: observed, Fix: fix}
}

// serviceFor checks that the caller may order the service of meta: a known service (400
// service_not_found), its target (400 bad_request), granted to the system (403
// access_denied_service) and to this kind of user (403 access_denied_user), all EPGU-A4.
func (a *API) serviceFor(w http.ResponseWriter, r *http.Request, tok AccessToken, m Meta) (Service, bool) {
	s, ok := a.services[m.ServiceCode]
	switch {
	case !ok:
		refuse(w, r, http.StatusBadRequest, CodeServiceNotFound, &rule.Breach{Rule: "EPGU-A4", Field: msg.Raw("serviceCode"),
			Expected: msg.F("the code of a service offered through the API"), Observed: msg.Raw(m.ServiceCode), Fix: msg.F("take serviceCode from the service's specification")})
	case m.TargetCode != s.TargetCode:
		refuse(w, r, http.StatusBadRequest, CodeBadRequest, &rule.Breach{Rule: "EPGU-T6", Field: msg.Raw("targetCode"),
			Expected: msg.F("%s for service %s", s.TargetCode, s.Code), Observed: msg.Raw(m.TargetCode), Fix: msg.F("take targetCode from the service's specification")})
	case !s.grants(tok.ClientID):
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedService, &rule.Breach{Rule: "EPGU-A4", Field: msg.Raw("serviceCode"),
			Expected: msg.F("a service the system is granted"), Observed: msg.F("system %s is not granted %s", tok.ClientID, s.Code), Fix: msg.F("apply for access to the service")})
	case !s.accepts(ownerOf(tok).personType()):
		refuse(w, r, http.StatusForbidden, CodeAccessDeniedUser, &rule.Breach{Rule: "EPGU-A4", Field: msg.Raw("serviceCode"),
			Expected: msg.F("an applicant of type %s", strings.Join(s.PersonTypes, "/")), Observed: msg.Raw(ownerOf(tok).personType()), Fix: msg.F("get the token for an applicant the service accepts")})
	default:
		return s, true
	}
	return Service{}, false
}
