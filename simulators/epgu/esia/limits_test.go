package esia_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/shepconf/shepconf/simulators/epgu/esia"
)

// getAPIKeyToken asks Б.12 for a token with key and a junk signature: a request anyone can send.
func (f *fixture) getAPIKeyToken(t *testing.T, key string) {
	t.Helper()
	resp, err := f.http.Get(f.url + strings.Replace(esia.PathAPIKeyToken, "{apiKey}", url.PathEscape(key), 1) + "?signature=AAAA")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// Requests without credentials must not grow ESIA's memory without end: only the newest events are
// kept, and the count of the others is told.
func TestEventsKeepTheNewest(t *testing.T) {
	f := newFixture(t, esia.WithEventLimit(3))
	var keys []string
	for range 7 {
		k := uuid.NewString()
		keys = append(keys, k)
		f.getAPIKeyToken(t, k)
	}
	ev := f.e.Events()
	if len(ev) != 3 {
		t.Fatalf("%d events kept, want the newest 3", len(ev))
	}
	for i, e := range ev {
		if want := keys[4+i]; e.Breach == nil || e.Breach.Observed.String() != want {
			t.Fatalf("event %d: %+v, want the refusal of key %s (oldest first)", i, e.Breach, want)
		}
	}
	if n := f.e.EventsDropped(); n != 4 {
		t.Errorf("%d events dropped, want 4", n)
	}
	if _, err := esia.New(esia.WithEventLimit(0)); err == nil {
		t.Error("an event limit of 0 was taken")
	}
	if esia.DefaultEventLimit != 10_000 {
		t.Errorf("DefaultEventLimit %d, want 10 000", esia.DefaultEventLimit)
	}
}

// A long value sent by the client is kept in an event cut to 2 KiB, however long it was.
func TestEventFieldsTruncated(t *testing.T) {
	f := newFixture(t)
	long := strings.Repeat("ж", 3000) // 6 000 bytes of two-byte runes
	cases := []struct {
		name  string
		send  func()
		field func(esia.Event) string
	}{
		{"API key in the path", func() { f.getAPIKeyToken(t, long) }, func(e esia.Event) string { return e.Breach.Observed.String() }},
		{"client_id of /ac", func() {
			resp := f.authorize(t, url.Values{"client_id": {long}, "redirect_uri": {redirectA}})
			_, _ = io.Copy(io.Discard, resp.Body)
		}, func(e esia.Event) string { return e.Mnemonic }},
		{"grant_type of /te", func() {
			status, _ := f.post(t, "application/x-www-form-urlencoded", url.Values{"grant_type": {long}}.Encode())
			if status != http.StatusBadRequest {
				t.Fatalf("status %d", status)
			}
		}, func(e esia.Event) string { return e.Grant }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.send()
			got := c.field(f.lastEvent(t))
			if len(got) > 2048 || len(got) < 1024 || !strings.HasPrefix(got, "жжж") || !strings.Contains(got, "cut") || !utf8Valid(got) {
				t.Fatalf("kept %d bytes (%.40q…), want at most 2 KiB of valid UTF-8 saying it was cut", len(got), got)
			}
		})
	}
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "\uFFFD") == s }
