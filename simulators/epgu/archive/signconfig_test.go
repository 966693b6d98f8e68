package archive_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/simulators/epgu/archive"
)

// signConfig writes a sign_config.xml (v1.13 Appendix 5): one signedDocument per document, each
// with its signature files.
func signConfig(docs map[string][]string, order ...string) []byte {
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<signedAttachments>\n")
	for _, doc := range order {
		fmt.Fprintf(&b, "  <signedDocument>\n    <documentFileName>%s</documentFileName>\n    <documentDescription>test document</documentDescription>\n", doc)
		for _, sig := range docs[doc] {
			fmt.Fprintf(&b, "    <signData>\n      <signFileName>%s</signFileName>\n      <signFileDescription>signature</signFileDescription>\n    </signData>\n", sig)
		}
		b.WriteString("  </signedDocument>\n")
	}
	b.WriteString("</signedAttachments>\n")
	return []byte(b.String())
}

func TestSignConfig(t *testing.T) {
	sg := newSigning(t, "Archive")
	second := newSigning(t, "Second signer")
	svc := demoService(t)
	svc.SignConfig = true
	// Both authorities are trusted: the document is signed by two parties.
	v := sg.verifier()
	v.Roots.AddCert(second.authority.Root())
	v.Intermediates.AddCert(second.authority.Intermediate())

	req, app := demoSample(t, "req.xml"), demoSample(t, "application.xml")
	config := signConfig(map[string][]string{"application.xml": {"applicationSellerSign.sig", "applicationBuyerSign.sig"}}, "application.xml")
	base := []file{
		{"req.xml", req}, {"req.xml.sig", sg.sign(t, req)},
		{"application.xml", app},
		{"applicationSellerSign.sig", sg.sign(t, app)},
		{"applicationBuyerSign.sig", second.sign(t, app)},
	}
	with := func(extra ...file) []file { return append(append([]file(nil), base...), extra...) }
	drop := func(files []file, name string) []file {
		var out []file
		for _, f := range files {
			if f.name != name {
				out = append(out, f)
			}
		}
		return out
	}

	cases := []struct {
		name   string
		zip    []byte
		status string
		rule   string
		words  []string
	}{
		{"two signatures of one document", zipOf(t, with(file{archive.SignConfigFile, config})...), archive.FilesVerificationSuccess, "", nil},
		{"sign_config.xml missing", zipOf(t, base...), archive.FilesVerificationFailed, "EPGU-1.13", []string{"sign_config.xml"}},
		{"a listed signature missing", zipOf(t, drop(with(file{archive.SignConfigFile, config}), "applicationBuyerSign.sig")...), archive.FilesVerificationFailed, "EPGU-1.13", []string{"applicationBuyerSign.sig"}},
		{"a listed signature over another document", zipOf(t, append(drop(with(file{archive.SignConfigFile, config}), "applicationBuyerSign.sig"), file{"applicationBuyerSign.sig", second.sign(t, req)})...), archive.FilesVerificationFailed, "EPGU-1.13", []string{"applicationBuyerSign.sig", "application.xml", "bad signature"}},
		{"a listed document missing", zipOf(t, with(file{archive.SignConfigFile, signConfig(map[string][]string{"application.xml": {"applicationSellerSign.sig"}, "contract.pdf": {"applicationBuyerSign.sig"}}, "application.xml", "contract.pdf")})...), archive.FilesVerificationFailed, "EPGU-1.13", []string{"contract.pdf"}},
		{"a document without signData", zipOf(t, with(file{archive.SignConfigFile, signConfig(map[string][]string{"application.xml": nil}, "application.xml")})...), archive.ValidationError, "EPGU-1.13", []string{"signData"}},
		{"another root element", zipOf(t, with(file{archive.SignConfigFile, []byte("<signatures><signedDocument/></signatures>")})...), archive.ValidationError, "EPGU-1.13", []string{"signedAttachments"}},
		{"not XML", zipOf(t, with(file{archive.SignConfigFile, []byte("application.xml: seller.sig")})...), archive.ValidationError, "EPGU-1.13", []string{"sign_config.xml", "no XML element"}},
		{"a document neither listed nor with its .sig", zipOf(t, with(file{archive.SignConfigFile, signConfig(map[string][]string{"req.xml": {"req.xml.sig"}}, "req.xml")})...), archive.FilesVerificationFailed, "EPGU-2.1.3", []string{"application.xml.sig"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, archive.Check(tc.zip, svc, v), tc.status, tc.rule, tc.words...)
		})
	}
}
