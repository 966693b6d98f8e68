package api

import (
	"net/http"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// route is one method of EPGU-T3: a method and a path whose {name} segments are path values.
type route struct {
	method   string
	segments []string
	wild     int // {name} segments: the fewer, the more specific
	handle   http.HandlerFunc
}

// router matches the methods of EPGU-T3. It is the simulator's own rather than http.ServeMux
// because Table 3 writes some paths with a trailing slash (".../getOrdersStatus/?pageNum=") and
// clients send them so, and because every refusal, an unknown path or method included, must be the
// Appendix 4 JSON body rather than the mux's text/plain.
type router struct{ routes []route }

func (rt *router) handle(method, path string, h http.HandlerFunc) {
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	wild := 0
	for _, s := range segs {
		if isWild(s) {
			wild++
		}
	}
	rt.routes = append(rt.routes, route{method: method, segments: segs, wild: wild, handle: h})
}

func isWild(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// ServeHTTP serves the most specific route whose path matches, with or without one trailing slash.
// A path that matches with another method is 405 with Allow; no match is 404 not_found.
func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var best *route
	for i := range rt.routes {
		c := &rt.routes[i]
		if matches(c.segments, segs) && (best == nil || c.wild < best.wild || (c.wild == best.wild && c.method == r.Method)) {
			best = c
		}
	}
	switch {
	case best == nil:
		refuse(w, r, http.StatusNotFound, CodeNotFound, &rule.Breach{Rule: "EPGU-T3", Field: msg.Raw("path"),
			Expected: msg.F("a method of Table 3 (/api/gusmev/…, /api/nsi/v1/dictionary/{code}, the file download)"),
			Observed: msg.Raw(r.Method + " " + r.URL.Path), Fix: msg.F("check the path against Table 3 of the specification")})
	case best.method != r.Method:
		w.Header().Set("Allow", best.method)
		refuse(w, r, http.StatusMethodNotAllowed, CodeBadRequest, &rule.Breach{Rule: "EPGU-T3", Field: msg.Raw("method"),
			Expected: msg.F("%s for this path", best.method), Observed: msg.Raw(r.Method + " " + r.URL.Path), Fix: msg.F("send the request with %s", best.method)})
	default:
		for i, s := range best.segments {
			if isWild(s) {
				r.SetPathValue(s[1:len(s)-1], segs[i])
			}
		}
		best.handle(w, r)
	}
}

func matches(pattern, segs []string) bool {
	if len(pattern) != len(segs) {
		return false
	}
	for i, p := range pattern {
		if p != segs[i] && !isWild(p) {
			return false
		}
	}
	return true
}
