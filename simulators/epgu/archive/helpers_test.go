package archive_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	epgufixtures "github.com/shepconf/shepconf/fixtures/epgu"
	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
	"github.com/shepconf/shepconf/simulators/nca"
)

// file is one entry of a test archive.
type file struct {
	name string
	data []byte
}

// zipOf packs files, deflated, in order. A name ending in "/" is a folder entry.
func zipOf(t testing.TB, files ...file) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range files {
		h := &zip.FileHeader{Name: f.name, Method: zip.Deflate}
		if strings.HasSuffix(f.name, "/") {
			h.Method = zip.Store
		}
		fw, err := w.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// pki is a served authority (with its TSA) and a signer it certified.
type signing struct {
	authority *nca.Authority
	tsaURL    string
	signer    *pki.Identity
}

func newSigning(t testing.TB, name string) *signing {
	t.Helper()
	a, err := nca.New(name)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := a.Serve("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close(context.Background()) })
	id, err := a.Issue(nca.Subject{CommonName: name + " agency system", Organization: "Agency"}, pki.ECDSAP256)
	if err != nil {
		t.Fatal(err)
	}
	return &signing{authority: a, tsaURL: srv.URL() + nca.TSPPath, signer: id}
}

func (s *signing) verifier() cms.Verifier {
	return cms.Verifier{Roots: s.authority.Roots(), Intermediates: s.authority.Intermediates()}
}

// sign is a detached, time-stamped signature over data.
func (s *signing) sign(t testing.TB, data []byte) []byte {
	t.Helper()
	sig, err := cms.SignDetached(s.signer, data, cms.WithTimestamp(s.tsaURL, nil))
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// signUnstamped is a detached signature without a time-stamp token.
func (s *signing) signUnstamped(t testing.TB, data []byte) []byte {
	t.Helper()
	sig, err := cms.SignDetached(s.signer, data)
	if err != nil {
		t.Fatal(err)
	}
	return sig
}

// signed is files followed by a "<name>.sig" for each.
func (s *signing) signed(t testing.TB, files ...file) []file {
	t.Helper()
	out := append([]file(nil), files...)
	for _, f := range files {
		out = append(out, file{f.name + ".sig", s.sign(t, f.data)})
	}
	return out
}

func demoService(t testing.TB) archive.Service {
	t.Helper()
	s, err := archive.LoadService(epgufixtures.Services, epgufixtures.DemoServiceCode)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func demoSample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := fs.ReadFile(epgufixtures.Services, epgufixtures.DemoServiceCode+"/samples/"+name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expect checks a result's status and that its breach cites rule and mentions every one of words.
func expect(t testing.TB, got archive.Result, status, rule string, words ...string) {
	t.Helper()
	if got.Status != status {
		t.Fatalf("status %s (%v), want %s", got.Status, got.Breach, status)
	}
	if status == archive.FilesVerificationSuccess {
		if got.Breach != nil {
			t.Fatalf("success with a breach: %v", got.Breach)
		}
		return
	}
	if got.Breach == nil {
		t.Fatalf("status %s without a breach", got.Status)
	}
	if got.Breach.Rule != rule {
		t.Errorf("breach cites %q, want %q: %v", got.Breach.Rule, rule, got.Breach)
	}
	if got.Breach.Fix.String() == "" {
		t.Errorf("breach says no fix: %v", got.Breach)
	}
	text := got.Breach.Error()
	for _, w := range words {
		if !strings.Contains(text, w) {
			t.Errorf("breach does not mention %q: %s", w, text)
		}
	}
	t.Log(text)
}
