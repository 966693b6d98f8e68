package cms_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"testing"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

// ca is a simulated CA with one signer per key type; made once, since RSA keys cost time.
type ca struct {
	authority *nca.Authority
	signers   map[pki.KeyType]*pki.Identity
}

func newCA(t *testing.T, name string, keys ...pki.KeyType) *ca {
	t.Helper()
	a, err := nca.New(name)
	if err != nil {
		t.Fatal(err)
	}
	c := &ca{authority: a, signers: map[pki.KeyType]*pki.Identity{}}
	for _, k := range keys {
		id, err := a.Issue(nca.Subject{CommonName: name + " signer " + k.String(), Organization: "Agency"}, k)
		if err != nil {
			t.Fatal(err)
		}
		c.signers[k] = id
	}
	return c
}

func (c *ca) verifier() cms.Verifier {
	return cms.Verifier{Roots: c.authority.Roots(), Intermediates: c.authority.Intermediates()}
}

// problemOf is the Problem of a cms error, or "" when err is not one.
func problemOf(err error) cms.Problem {
	var e *cms.Error
	if errors.As(err, &e) {
		return e.Problem
	}
	return ""
}

func TestRoundTrip(t *testing.T) {
	c := newCA(t, "Round Trip", pki.RSA2048, pki.ECDSAP256)
	data := []byte("<req>an order's transport file</req>")
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256} {
		t.Run(k.String(), func(t *testing.T) {
			sig, err := cms.SignDetached(c.signers[k], data)
			if err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(sig, data) {
				t.Error("the signature carries the data: it must be detached")
			}
			got, err := c.verifier().VerifyDetached(sig, data)
			if err != nil {
				t.Fatalf("a valid signature was refused: %v", err)
			}
			if !got.Signer.Equal(c.signers[k].Certificate) {
				t.Errorf("signer %q, want %q", got.Signer.Subject.CommonName, c.signers[k].Certificate.Subject.CommonName)
			}
			if !got.Timestamp.IsZero() || got.TSA != nil {
				t.Errorf("no token was asked for, yet Timestamp=%v TSA=%v", got.Timestamp, got.TSA)
			}
		})
	}
}

func TestRefusals(t *testing.T) {
	c := newCA(t, "Home", pki.ECDSAP256)
	foreign := newCA(t, "Foreign", pki.ECDSAP256)
	data := []byte("the business file")
	sig, err := cms.SignDetached(c.signers[pki.ECDSAP256], data)
	if err != nil {
		t.Fatal(err)
	}
	foreignSig, err := cms.SignDetached(foreign.signers[pki.ECDSAP256], data)
	if err != nil {
		t.Fatal(err)
	}
	attached := attachedSignature(t, c.signers[pki.ECDSAP256], data)
	withTimestampRequired := c.verifier()
	withTimestampRequired.RequireTimestamp = true

	cases := []struct {
		name string
		v    cms.Verifier
		sig  []byte
		data []byte
		want cms.Problem
	}{
		{"altered data", c.verifier(), sig, []byte("the business file!"), cms.BadSignature},
		{"altered signature value", c.verifier(), flipLastByte(sig), data, cms.BadSignature},
		{"signer of a foreign CA", c.verifier(), foreignSig, data, cms.Untrusted},
		{"GOST signature algorithm", c.verifier(), gostSignatureAlgorithm(t, sig), data, cms.NotSupported},
		{"STB 34.101 digest algorithm", c.verifier(), stbDigestAlgorithm(t, sig), data, cms.NotSupported},
		{"not DER at all", c.verifier(), []byte("-----BEGIN PKCS7-----"), data, cms.Malformed},
		{"empty", c.verifier(), nil, data, cms.Malformed},
		{"attached, not detached", c.verifier(), attached, data, cms.Malformed},
		{"timestamp required, none carried", withTimestampRequired, sig, data, cms.NoTimestamp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.v.VerifyDetached(tc.sig, tc.data)
			if got := problemOf(err); got != tc.want {
				t.Fatalf("problem %q (%v), want %q", got, err, tc.want)
			}
			t.Log(err)
		})
	}
}

func TestGOSTRefusalSaysWhy(t *testing.T) {
	c := newCA(t, "Home", pki.ECDSAP256)
	sig, err := cms.SignDetached(c.signers[pki.ECDSAP256], []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.verifier().VerifyDetached(gostSignatureAlgorithm(t, sig), []byte("x"))
	const want = "GOST R 34.10/34.11 signatures are not supported by this simulator"
	if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
		t.Fatalf("error %v does not say %q", err, want)
	}
}

func TestSTBRefusalSaysWhy(t *testing.T) {
	c := newCA(t, "Home", pki.ECDSAP256)
	sig, err := cms.SignDetached(c.signers[pki.ECDSAP256], []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.verifier().VerifyDetached(stbDigestAlgorithm(t, sig), []byte("x"))
	for _, want := range []string{"1.2.112.0.2.0.34.101.31.81", "STB 34.101.31 (belt)", "STB 34.101 signatures are not supported by this simulator"} {
		if err == nil || !bytes.Contains([]byte(err.Error()), []byte(want)) {
			t.Errorf("error %v does not say %q", err, want)
		}
	}
}

func TestDecode(t *testing.T) {
	raw := []byte{0x30, 0x82, 0xfb, 0xff, 0x3e, 0x00} // bytes whose encodings differ between alphabets
	cases := []struct {
		name string
		in   string
		ok   bool
	}{
		{"standard, padded", base64.StdEncoding.EncodeToString(raw), true},
		{"standard, unpadded", base64.RawStdEncoding.EncodeToString(raw), true},
		{"URL-safe, padded", base64.URLEncoding.EncodeToString(raw), true},
		{"URL-safe, unpadded (ESIA client_secret)", base64.RawURLEncoding.EncodeToString(raw), true},
		{"with line breaks", base64.StdEncoding.EncodeToString(raw)[:4] + "\r\n" + base64.StdEncoding.EncodeToString(raw)[4:], true},
		{"not base64", "MIIG*not$base64", false},
		{"empty", "  ", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := cms.Decode(tc.in)
			if !tc.ok {
				if problemOf(err) != cms.Malformed {
					t.Fatalf("got %x, %v; want a Malformed error", got, err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, raw) {
				t.Fatalf("got %x, %v; want %x", got, err, raw)
			}
		})
	}
}
