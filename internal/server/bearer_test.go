package server

import (
	"net/http"
	"testing"
)

func TestBearerTakesTheTokenOfAnyCaseOfTheScheme(t *testing.T) {
	for h, want := range map[string]string{
		"Bearer abc": "abc", "bearer  abc ": "abc", " BEARER abc": "abc",
		"": "", "Bearer": "", "Bearer  ": "", "Basic abc": "", "Bearerabc": "",
	} {
		r := &http.Request{Header: http.Header{}}
		if h != "" {
			r.Header.Set("Authorization", h)
		}
		if tok, ok := Bearer(r); tok != want || ok != (want != "") {
			t.Errorf("%q: %q, %v; want %q", h, tok, ok, want)
		}
	}
}
