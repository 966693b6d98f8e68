package router

import (
	"net/http"
	"slices"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
)

// route is one call of the API: a method, a path whose {name} segments are path values, and the
// name of the operation the log records it under.
type route struct {
	method   string
	segments []string
	wild     int // {name} segments: the fewer, the more specific
	op       string
	handle   http.HandlerFunc
}

// mux matches the router's calls. It is the simulator's own rather than http.ServeMux because
// every answer, an unknown path or method included, must be the router's JSON error body, and
// because one path ("…/package") takes POST to create and PUT to update.
type mux struct{ routes []route }

func (m *mux) handle(method, path, op string, h http.HandlerFunc) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	wild := 0
	for _, s := range segs {
		if isWild(s) {
			wild++
		}
	}
	m.routes = append(m.routes, route{method: method, segments: segs, wild: wild, op: op, handle: h})
}

func isWild(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// ServeHTTP serves the most specific route of the request's method whose path matches, with or
// without one trailing slash. A path served with other methods only is 405 with Allow; no match is
// 404.
func (m *mux) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	path := req.URL.Path
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *route
	var allow []string
	for i := range m.routes {
		c := &m.routes[i]
		if !matches(c.segments, segs) {
			continue
		}
		if c.method != req.Method {
			if !slices.Contains(allow, c.method) {
				allow = append(allow, c.method)
			}
			continue
		}
		if best == nil || c.wild < best.wild {
			best = c
		}
	}
	switch {
	case best != nil:
		recordOf(req).Op = best.op
		for i, s := range best.segments {
			if isWild(s) {
				req.SetPathValue(s[1:len(s)-1], segs[i])
			}
		}
		best.handle(w, req)
	case len(allow) > 0:
		w.Header().Set("Allow", strings.Join(allow, ", "))
		refuse(w, req, http.StatusMethodNotAllowed, breach(areaRule(path), "method", msg.F("%s for this path", msg.Or(allow...)),
			msg.Raw(req.Method+" "+req.URL.Path), msg.F("send the request with %s", msg.Or(allow...))))
	default:
		refuse(w, req, http.StatusNotFound, breach(areaRule(path), "path",
			msg.F("a path of the router's API (token, receiver/1.0.0/org/SMDO~1.0.0/package…, sender/1.0.0/org/SMDO~1.0.0/package…, smdo_nsi_…)"),
			msg.Raw(req.Method+" "+req.URL.Path), msg.F("check the path against the router's API; the base URL ends with \"/\"")))
	}
}

func matches(pattern, segs []string) bool {
	if len(pattern) != len(segs) {
		return false
	}
	for i, p := range pattern {
		if isWild(p) {
			if segs[i] == "" {
				return false
			}
			continue
		}
		if p != segs[i] {
			return false
		}
	}
	return true
}

// areaRule is the rule an unknown path of an area of the API breaks: the outgoing calls are the
// sending sequence, the incoming ones the receiving thread, the rest the directories and the token.
func areaRule(path string) string {
	switch {
	case strings.HasPrefix(path, "/receiver/"):
		return "SMDO-SEND"
	case strings.HasPrefix(path, "/sender/"):
		return "SMDO-CONFIRM"
	case strings.HasPrefix(path, "/smdo_nsi"):
		return "SMDO-DIR"
	}
	return "SMDO-TOKEN"
}
