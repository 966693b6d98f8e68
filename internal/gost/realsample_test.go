package gost_test

import (
	"bytes"
	"crypto/x509"
	"encoding/asn1"
	"encoding/base64"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"
	dsig "github.com/russellhaering/goxmldsig"
	"github.com/russellhaering/goxmldsig/etreeutils"

	"github.com/shepconf/shepconf/internal/gost"
	"github.com/shepconf/shepconf/internal/upstreamtest"
)

// sample is one NCA-signed SHEP envelope: the exclusive C14N of its
// ds:SignedInfo, the decoded ds:SignatureValue and the signer's key from the
// certificate in wsse:KeyIdentifier.
type sample struct {
	path       string
	signedInfo []byte
	sigValue   []byte
	pub        *gost.PublicKey
}

// loadSamples reads request.xml and response.xml of the real gateway. A
// missing file skips the test, or fails it under CI=true.
func loadSamples(t *testing.T) []sample {
	t.Helper()
	dir := filepath.Join(upstreamtest.Dir(t), "shep", "shep-service", "example")
	var out []sample
	for _, name := range []string{"request.xml", "response.xml"} {
		path := filepath.Join(dir, name)
		raw, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the real sample %s is missing; CI=true requires it", path)
			}
			t.Skipf("the real sample %s is missing: %v", path, err)
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, parseSample(t, path, raw))
	}
	return out
}

func parseSample(t *testing.T, path string, raw []byte) sample {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	one := func(p string) *etree.Element {
		els := doc.FindElements(p)
		if len(els) != 1 {
			t.Fatalf("%s: %d elements %s, want 1", path, len(els), p)
		}
		return els[0]
	}
	si := one("//Signature/SignedInfo")
	if alg := si.FindElement("SignatureMethod").SelectAttrValue("Algorithm", ""); alg != "http://www.w3.org/2001/04/xmldsig-more#gost34310-gost34311" {
		t.Fatalf("%s: SignatureMethod %q", path, alg)
	}
	if alg := si.FindElement("CanonicalizationMethod").SelectAttrValue("Algorithm", ""); alg != "http://www.w3.org/2001/10/xml-exc-c14n#" {
		t.Fatalf("%s: CanonicalizationMethod %q, want exclusive C14N", path, alg)
	}
	canon := exclusiveC14N(t, si)
	sigValue := b64(t, path, one("//Signature/SignatureValue").Text())
	der := b64(t, path, one("//Signature/KeyInfo/SecurityTokenReference/KeyIdentifier").Text())
	return sample{path: path, signedInfo: canon, sigValue: sigValue, pub: certKey(t, path, der)}
}

// exclusiveC14N is el taken out of its document with the namespaces it uses,
// in exclusive C14N without an InclusiveNamespaces list: what the samples'
// signature and digest cover.
func exclusiveC14N(t *testing.T, el *etree.Element) []byte {
	t.Helper()
	ctx, err := etreeutils.NSBuildParentContext(el)
	if err != nil {
		t.Fatal(err)
	}
	detached, err := etreeutils.NSDetatch(ctx, el)
	if err != nil {
		t.Fatal(err)
	}
	canon, err := dsig.MakeC14N10ExclusiveCanonicalizerWithPrefixList("").Canonicalize(detached)
	if err != nil {
		t.Fatal(err)
	}
	return canon
}

func b64(t *testing.T, path, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return b
}

// certKey reads the GOST public key of an NCA certificate. crypto/x509 does
// not know the algorithm, so the SubjectPublicKeyInfo is parsed here:
// AlgorithmIdentifier { 1.2.398.3.10.1.1.1.1, SEQUENCE { curve, hash } } and a
// BIT STRING holding an OCTET STRING of X||Y, each 32 bytes little-endian.
func certKey(t *testing.T, path string, der []byte) *gost.PublicKey {
	t.Helper()
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("%s: certificate: %v", path, err)
	}
	var spki struct {
		Algorithm struct {
			OID    asn1.ObjectIdentifier
			Params struct{ Curve, Hash asn1.ObjectIdentifier }
		}
		Key asn1.BitString
	}
	if rest, err := asn1.Unmarshal(cert.RawSubjectPublicKeyInfo, &spki); err != nil || len(rest) != 0 {
		t.Fatalf("%s: SubjectPublicKeyInfo: %v", path, err)
	}
	if !spki.Algorithm.OID.Equal(asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1}) {
		t.Fatalf("%s: key algorithm %v, want the NCA's GOST 34.310-2004", path, spki.Algorithm.OID)
	}
	c, ok := gost.CurveByOID(spki.Algorithm.Params.Curve)
	if !ok || c != gost.CurveCryptoProA() {
		t.Fatalf("%s: curve %v is not CryptoPro-A", path, spki.Algorithm.Params.Curve)
	}
	var raw []byte
	if rest, err := asn1.Unmarshal(spki.Key.Bytes, &raw); err != nil || len(rest) != 0 {
		t.Fatalf("%s: public key OCTET STRING: %v", path, err)
	}
	pub, err := gost.NewPublicKey(c, raw)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return pub
}

// TestRealSampleSignatures verifies the NCA signatures of the real gateway's
// sample envelopes with the exported API alone: the signed digest is Sum of
// the exclusive C14N of ds:SignedInfo, as Sum outputs it, and the
// SignatureValue is Sign's encoding. One altered SignedInfo byte and one
// flipped signature bit must each fail.
func TestRealSampleSignatures(t *testing.T) {
	for _, s := range loadSamples(t) {
		t.Run(filepath.Base(s.path), func(t *testing.T) {
			digest := gost.Sum(s.signedInfo)
			if !gost.Verify(s.pub, digest[:], s.sigValue) {
				t.Fatalf("%s: the NCA signature does not verify", s.path)
			}
			si := slices.Clone(s.signedInfo)
			i := bytes.Index(si, []byte("<ds:DigestValue>")) + len("<ds:DigestValue>")
			si[i] ^= 0x01
			altered := gost.Sum(si)
			if gost.Verify(s.pub, altered[:], s.sigValue) {
				t.Fatalf("%s: verifies with DigestValue byte %d of SignedInfo altered", s.path, i)
			}
			sig := slices.Clone(s.sigValue)
			sig[17] ^= 0x08
			if gost.Verify(s.pub, digest[:], sig) {
				t.Fatalf("%s: verifies with a flipped bit of the SignatureValue", s.path)
			}
		})
	}
}

// TestRealSampleEncoding settles the two encodings the NCA's XMLDSig does not
// state: among every layout of the 64-byte SignatureValue (order of r and s,
// byte order of each half) and both ways of reading the digest as an integer,
// exactly the layouts Verify uses must verify both samples. (Reading the
// digest big-endian equals reading the reversed digest little-endian, so
// those two count as one.)
func TestRealSampleEncoding(t *testing.T) {
	samples := loadSamples(t)
	le := func(b []byte) *big.Int { return new(big.Int).SetBytes(reversedCopy(b)) }
	be := func(b []byte) *big.Int { return new(big.Int).SetBytes(b) }
	type layout struct {
		name string
		rs   func(sig []byte) (r, s *big.Int)
		e    func(d []byte) *big.Int
	}
	var layouts []layout
	for _, order := range []string{"s||r", "r||s"} {
		for _, h1 := range []string{"BE", "LE"} {
			for _, h2 := range []string{"BE", "LE"} {
				for _, eOrder := range []string{"LE", "BE"} {
					order, h1, h2, eOrder := order, h1, h2, eOrder
					conv := func(h string, b []byte) *big.Int {
						if h == "BE" {
							return be(b)
						}
						return le(b)
					}
					l := layout{name: order + " " + h1 + "/" + h2 + ", e " + eOrder}
					l.rs = func(sig []byte) (r, s *big.Int) {
						a, b := conv(h1, sig[:32]), conv(h2, sig[32:])
						if order == "s||r" {
							return b, a
						}
						return a, b
					}
					l.e = le
					if eOrder == "BE" {
						l.e = be
					}
					layouts = append(layouts, l)
				}
			}
		}
	}
	var verified []string
	for _, l := range layouts {
		ok := true
		for _, s := range samples {
			d := gost.Sum(s.signedInfo)
			r, sv := l.rs(s.sigValue)
			ok = ok && gost.VerifyRS(s.pub, l.e(d[:]), r, sv)
		}
		if ok {
			verified = append(verified, l.name)
		}
	}
	t.Logf("layouts verifying both samples: %v", verified)
	if want := []string{"r||s LE/LE, e LE"}; !slices.Equal(verified, want) {
		t.Fatalf("layouts verifying both samples = %v, want exactly %v (the encoding Verify uses)", verified, want)
	}
}

func reversedCopy(b []byte) []byte {
	out := slices.Clone(b)
	slices.Reverse(out)
	return out
}
