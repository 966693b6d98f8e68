package archive_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/pem"
	"hash/crc32"
	"strconv"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/simulators/epgu/archive"
)

func TestDemoArchive(t *testing.T) {
	sg := newSigning(t, "Archive")
	foreign := newSigning(t, "Foreign")
	svc := demoService(t)
	req, app := demoSample(t, "req.xml"), demoSample(t, "application.xml")
	valid := sg.signed(t, file{"req.xml", req}, file{"application.xml", app})

	without := func(name string) []file {
		var out []file
		for _, f := range valid {
			if f.name != name {
				out = append(out, f)
			}
		}
		return out
	}
	replaced := func(name string, data []byte) []file {
		out := append([]file(nil), valid...)
		for i := range out {
			if out[i].name == name {
				out[i].data = data
			}
		}
		return out
	}
	invalidApp := demoSample(t, "application-invalid.xml")
	badTransport := bytes.Replace(req, []byte("<OrderId>0</OrderId>"), []byte("<OrderId>zero</OrderId>"), 1)

	cases := []struct {
		name   string
		zip    []byte
		status string
		rule   string
		words  []string
	}{
		{"signed archive of the samples", zipOf(t, valid...), archive.FilesVerificationSuccess, "", nil},
		{"signatures as base64 and PEM text", zipOf(t, replaced("req.xml.sig", pemOf(sg.sign(t, req)))...), archive.FilesVerificationSuccess, "", nil},
		{"not a zip", []byte("<req/>"), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"zip"}},
		{"empty zip", zipOf(t), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"no file"}},
		{"folder entry", zipOf(t, append(valid, file{"attachments/", nil})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"attachments/", "flat"}},
		{"file inside a folder", zipOf(t, append(without("application.xml"), file{"docs/application.xml", app})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"docs/application.xml"}},
		{"zip-slip name", zipOf(t, append(valid, file{"../../etc/cron.d/x", []byte("x")})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"../../etc/cron.d/x"}},
		{"absolute name", zipOf(t, append(valid, file{"/tmp/x", []byte("x")})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"/tmp/x"}},
		{"backslash name", zipOf(t, append(valid, file{`docs\x.xml`, []byte("x")})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{`docs\x.xml`}},
		{"nested archive by name", zipOf(t, append(valid, file{"more.zip", zipOf(t, file{"a.txt", []byte("a")})})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"more.zip", "nested"}},
		{"nested archive by content", zipOf(t, append(valid, file{"scan.pdf", zipOf(t, file{"a.txt", []byte("a")})})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"scan.pdf", "nested"}},
		{"same name twice", zipOf(t, append(valid, file{"req.xml", req})...), archive.InvalidFilesStructure, "EPGU-2.1.3", []string{"req.xml", "twice"}},
		{"no transport file", zipOf(t, without("req.xml")...), archive.ReqNotFound, "EPGU-A1", []string{"req.xml"}},
		{"no business file", zipOf(t, without("application.xml")...), archive.MPCNotFound, "EPGU-A1", []string{"application.xml"}},
		{"business file breaks its schema", zipOf(t, replaced("application.xml", invalidApp)...), archive.ValidationError, "EPGU-A1", []string{"application.xml", "line 11", "ReferenceNumber"}},
		{"business file not XML", zipOf(t, replaced("application.xml", []byte("%PDF-1.7"))...), archive.ValidationError, "EPGU-A1", []string{"application.xml"}},
		{"transport file breaks its schema", zipOf(t, replaced("req.xml", badTransport)...), archive.ValidationError, "EPGU-A1", []string{"req.xml", "OrderId"}},
		{"a file without its signature", zipOf(t, without("application.xml.sig")...), archive.FilesVerificationFailed, "EPGU-2.1.3", []string{"application.xml.sig"}},
		{"a signature over another file", zipOf(t, replaced("application.xml.sig", sg.sign(t, req))...), archive.FilesVerificationFailed, "EPGU-2.1.3", []string{"application.xml.sig", "bad signature"}},
		{"a signature without a time-stamp", zipOf(t, replaced("req.xml.sig", sg.signUnstamped(t, req))...), archive.FilesVerificationFailed, "EPGU-2.1.3", []string{"req.xml.sig", "no timestamp"}},
		{"a signature by a foreign CA's certificate", zipOf(t, replaced("req.xml.sig", foreign.sign(t, req))...), archive.FilesVerificationFailed, "EPGU-2.1.3", []string{"req.xml.sig", "untrusted"}},
		{"a signature that is not CMS", zipOf(t, replaced("req.xml.sig", []byte("signed, honestly"))...), archive.FilesVerificationFailed, "EPGU-2.1.3", []string{"req.xml.sig", "malformed"}},
		{"an extra attachment without its signature", zipOf(t, append(valid, file{"photo.jpg", []byte{0xff, 0xd8, 0xff}})...), archive.FilesVerificationFailed, "EPGU-2.1.3", []string{"photo.jpg.sig"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expect(t, archive.Check(tc.zip, svc, sg.verifier()), tc.status, tc.rule, tc.words...)
		})
	}
}

func TestFilesAreListed(t *testing.T) {
	sg := newSigning(t, "Archive")
	files := sg.signed(t, file{"req.xml", demoSample(t, "req.xml")}, file{"application.xml", demoSample(t, "application.xml")})
	got := archive.Check(zipOf(t, files...), demoService(t), sg.verifier())
	want := "req.xml application.xml req.xml.sig application.xml.sig"
	if strings.Join(got.Files, " ") != want || !got.SignaturesChecked {
		t.Errorf("Files %v SignaturesChecked %v, want %s and true", got.Files, got.SignaturesChecked, want)
	}
}

func TestUnsignedService(t *testing.T) {
	svc := demoService(t)
	svc.Signatures = false
	got := archive.Check(zipOf(t, file{"req.xml", demoSample(t, "req.xml")}, file{"application.xml", demoSample(t, "application.xml")}), svc, newSigning(t, "Unused").verifier())
	expect(t, got, archive.FilesVerificationSuccess, "")
	if got.SignaturesChecked {
		t.Error("a service without signatures reports signatures checked")
	}
}

func TestZipBombIsRefused(t *testing.T) {
	svc := demoService(t)
	svc.Signatures = false
	svc.MaxUncompressed = 1 << 20
	zeros := make([]byte, 4<<20) // deflates to a few kilobytes
	bomb := zipOf(t, file{"req.xml", demoSample(t, "req.xml")}, file{"application.xml", demoSample(t, "application.xml")}, file{"padding.bin", zeros})
	if len(bomb) > 64<<10 {
		t.Fatalf("the test bomb is %d bytes: not a bomb", len(bomb))
	}
	expect(t, archive.Check(bomb, svc, newSigning(t, "Unused").verifier()), archive.InvalidFilesStructure, "EPGU-2.1.3", "1048576 bytes")
}

func TestTooManyFiles(t *testing.T) {
	svc := demoService(t)
	svc.Signatures = false
	files := []file{{"req.xml", demoSample(t, "req.xml")}, {"application.xml", demoSample(t, "application.xml")}}
	for i := 0; len(files) <= archive.MaxFiles; i++ {
		files = append(files, file{name: "f" + strconv.Itoa(i) + ".txt", data: []byte("x")})
	}
	expect(t, archive.Check(zipOf(t, files...), svc, newSigning(t, "Unused").verifier()), archive.InvalidFilesStructure, "EPGU-2.1.3", "1000")
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "PKCS7", Bytes: der})
}

// TestSizeHeaderLies: an entry whose headers claim a few bytes while its data inflates to megabytes
// is refused while reading, not trusted by its header.
func TestSizeHeaderLies(t *testing.T) {
	svc := demoService(t)
	svc.Signatures = false
	svc.MaxUncompressed = 1 << 20
	zeros := make([]byte, 4<<20)
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	_, _ = fw.Write(zeros)
	_ = fw.Close()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for _, f := range []file{{"req.xml", demoSample(t, "req.xml")}, {"application.xml", demoSample(t, "application.xml")}} {
		e, _ := w.Create(f.name)
		_, _ = e.Write(f.data)
	}
	raw, err := w.CreateRaw(&zip.FileHeader{Name: "small.txt", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(zeros),
		CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 100})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = raw.Write(deflated.Bytes())
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	expect(t, archive.Check(buf.Bytes(), svc, newSigning(t, "Unused").verifier()), archive.InvalidFilesStructure, "EPGU-2.1.3", "small.txt")
}
