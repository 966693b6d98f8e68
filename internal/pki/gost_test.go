package pki

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/sha1"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/base64"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/cryptobyte"
	cbasn1 "golang.org/x/crypto/cryptobyte/asn1"

	"github.com/shepconf/shepconf/internal/gost"
)

var testNow = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// issue makes a certificate for cn with key, signed by parent (nil: self-signed), valid a year
// around testNow; ca makes it a CA allowed to sign certificates.
func issue(t *testing.T, cn string, key crypto.Signer, parent *Identity, ca bool, edit func(*x509.Certificate)) *Identity {
	t.Helper()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn, Country: []string{"KZ"}},
		NotBefore:    testNow.AddDate(0, -6, 0),
		NotAfter:     testNow.AddDate(0, 6, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
	}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign | x509.KeyUsageCRLSign
	}
	if edit != nil {
		edit(tmpl)
	}
	issuer, signer := tmpl, key
	if parent != nil {
		issuer, signer = parent.Certificate, parent.Key
	}
	der, err := CreateCertificate(tmpl, issuer, key.Public(), signer)
	if err != nil {
		t.Fatalf("%s: %v", cn, err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("%s: %v", cn, err)
	}
	return &Identity{Certificate: c, Key: key}
}

func newKey(t *testing.T, k KeyType) crypto.Signer {
	t.Helper()
	key, err := NewKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// gostChain is a GOST root → GOST intermediate (path length 0) → GOST leaf.
func gostChain(t *testing.T) (root, inter, leaf *Identity) {
	root = issue(t, "GOST Root CA", newKey(t, GOST2004), nil, true, nil)
	inter = issue(t, "GOST Issuing CA", newKey(t, GOST2004), root, true, func(c *x509.Certificate) { c.MaxPathLenZero = true })
	leaf = issue(t, "GOST Leaf", newKey(t, GOST2004), inter, false, nil)
	return root, inter, leaf
}

// flipSerialBit changes the last byte of c's serial number inside its TBSCertificate: the DER stays
// well-formed, the signature no longer matches.
func flipSerialBit(t *testing.T, c *x509.Certificate) *x509.Certificate {
	t.Helper()
	der := bytes.Clone(c.Raw)
	serial := c.SerialNumber.Bytes()
	i := bytes.Index(der, serial)
	if i < 0 {
		t.Fatal("serial not found in the DER")
	}
	der[i+len(serial)-1] ^= 1
	out, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestGOSTChainVerifies(t *testing.T) {
	root, inter, leaf := gostChain(t)
	chain, err := VerifyChain(leaf.Certificate, []*x509.Certificate{inter.Certificate}, []*x509.Certificate{root.Certificate}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(chain) != 3 || chain[0] != leaf.Certificate || chain[1] != inter.Certificate || chain[2] != root.Certificate {
		t.Fatalf("chain %v", chain)
	}
	for _, id := range []*Identity{root, inter, leaf} {
		c := id.Certificate
		if c.PublicKeyAlgorithm != x509.UnknownPublicKeyAlgorithm || c.SignatureAlgorithm != x509.UnknownSignatureAlgorithm {
			t.Errorf("%s: crypto/x509 knows its algorithms (%s, %s): not GOST", c.Subject.CommonName, c.PublicKeyAlgorithm, c.SignatureAlgorithm)
		}
		if oid, _ := signatureAlgorithmOf(c.Raw); !oid.Equal(oidGOSTSignatureKZ) {
			t.Errorf("%s: signature algorithm %s, want %s", c.Subject.CommonName, oid, oidGOSTSignatureKZ)
		}
		if !bytes.Contains(c.RawTBSCertificate, gostSignatureAlgorithm()) {
			t.Errorf("%s: the TBSCertificate's signature field is not the GOST one", c.Subject.CommonName)
		}
		pub, err := PublicKeyOf(c)
		if err != nil || !id.Key.Public().(*gost.PublicKey).Equal(pub) {
			t.Errorf("%s: PublicKeyOf: %v, %v", c.Subject.CommonName, pub, err)
		}
		if want := sha1.Sum(c.RawSubjectPublicKeyInfo); !bytes.Equal(c.SubjectKeyId, want[:]) {
			t.Errorf("%s: SubjectKeyId %x, want SHA-1 of the SPKI %x", c.Subject.CommonName, c.SubjectKeyId, want)
		}
	}
	if !bytes.Equal(leaf.Certificate.AuthorityKeyId, inter.Certificate.SubjectKeyId) ||
		!bytes.Equal(inter.Certificate.AuthorityKeyId, root.Certificate.SubjectKeyId) {
		t.Error("AuthorityKeyId does not name the issuer's SubjectKeyId")
	}
}

func TestGOSTChainFailures(t *testing.T) {
	root, inter, leaf := gostChain(t)
	otherRoot := issue(t, "GOST Root CA", newKey(t, GOST2004), nil, true, nil) // same name, other key
	expiredInter := issue(t, "GOST Issuing CA", newKey(t, GOST2004), root, true, func(c *x509.Certificate) {
		c.NotBefore, c.NotAfter = testNow.AddDate(-2, 0, 0), testNow.AddDate(0, 0, -1)
	})
	leafOfExpired := issue(t, "GOST Leaf", newKey(t, GOST2004), expiredInter, false, nil)
	notCA := issue(t, "GOST Not A CA", newKey(t, GOST2004), inter, false, nil)
	leafOfNotCA := issue(t, "GOST Leaf", newKey(t, GOST2004), notCA, false, nil)
	noCertSign := issue(t, "GOST CA Without keyCertSign", newKey(t, GOST2004), root, true, func(c *x509.Certificate) {
		c.KeyUsage = x509.KeyUsageDigitalSignature
	})
	leafOfNoCertSign := issue(t, "GOST Leaf", newKey(t, GOST2004), noCertSign, false, nil)
	subCA := issue(t, "GOST Sub CA", newKey(t, GOST2004), inter, true, nil)
	leafOfSubCA := issue(t, "GOST Leaf", newKey(t, GOST2004), subCA, false, nil)

	roots := []*x509.Certificate{root.Certificate}
	cases := []struct {
		name          string
		leaf          *x509.Certificate
		intermediates []*x509.Certificate
		roots         []*x509.Certificate
		now           time.Time
		want          []string // in the error
	}{
		{"flipped bit in the leaf", flipSerialBit(t, leaf.Certificate), []*x509.Certificate{inter.Certificate}, roots, testNow,
			[]string{`"GOST Leaf"`, "does not verify", `"GOST Issuing CA"`}},
		{"flipped bit in the intermediate", leaf.Certificate, []*x509.Certificate{flipSerialBit(t, inter.Certificate)}, roots, testNow,
			[]string{`"GOST Issuing CA"`, "does not verify", `"GOST Root CA"`}},
		{"expired intermediate", leafOfExpired.Certificate, []*x509.Certificate{expiredInter.Certificate}, roots, testNow,
			[]string{`"GOST Issuing CA"`, "not at"}},
		{"expired leaf", leaf.Certificate, []*x509.Certificate{inter.Certificate}, roots, testNow.AddDate(1, 0, 0),
			[]string{`"GOST Leaf"`, "not at"}},
		{"non-CA issuer", leafOfNotCA.Certificate, []*x509.Certificate{notCA.Certificate, inter.Certificate}, roots, testNow,
			[]string{`"GOST Not A CA"`, "is not a CA"}},
		{"issuer without keyCertSign", leafOfNoCertSign.Certificate, []*x509.Certificate{noCertSign.Certificate}, roots, testNow,
			[]string{`"GOST CA Without keyCertSign"`, "keyCertSign"}},
		{"path length", leafOfSubCA.Certificate, []*x509.Certificate{subCA.Certificate, inter.Certificate}, roots, testNow,
			[]string{`"GOST Issuing CA"`, "pathLenConstraint"}},
		{"wrong root", leaf.Certificate, []*x509.Certificate{inter.Certificate}, []*x509.Certificate{otherRoot.Certificate}, testNow,
			[]string{`"GOST Issuing CA"`, "none of"}},
	}
	for _, c := range cases {
		chain, err := VerifyChain(c.leaf, c.intermediates, c.roots, c.now)
		if err == nil {
			t.Errorf("%s: verified as %d certificates", c.name, len(chain))
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", c.name, err, w)
			}
		}
	}
}

// A classic CA issues a GOST-keyed certificate: crypto/x509 verifies the chain (the leaf's key is
// not its concern) and PublicKeyOf reads the GOST key.
func TestClassicCAIssuesGOSTLeaf(t *testing.T) {
	for _, k := range []KeyType{ECDSAP256, RSA2048} {
		root := issue(t, k.String()+" Root", newKey(t, k), nil, true, nil)
		inter := issue(t, k.String()+" Issuing", newKey(t, k), root, true, nil)
		key := newKey(t, GOST2004)
		leaf := issue(t, "GOST holder", key, inter, false, nil)
		roots, inters := x509.NewCertPool(), x509.NewCertPool()
		roots.AddCert(root.Certificate)
		inters.AddCert(inter.Certificate)
		if _, err := leaf.Certificate.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inters, CurrentTime: testNow}); err != nil {
			t.Errorf("%s CA: x509 Verify: %v", k, err)
		}
		if _, err := VerifyChain(leaf.Certificate, []*x509.Certificate{inter.Certificate}, []*x509.Certificate{root.Certificate}, testNow); err != nil {
			t.Errorf("%s CA: VerifyChain: %v", k, err)
		}
		pub, err := PublicKeyOf(leaf.Certificate)
		if err != nil || !key.Public().(*gost.PublicKey).Equal(pub) {
			t.Errorf("%s CA: PublicKeyOf: %v, %v", k, pub, err)
		}
		if pub, _ := PublicKeyOf(inter.Certificate); pub != inter.Certificate.PublicKey {
			t.Errorf("%s CA: PublicKeyOf of a classic key is not crypto/x509's", k)
		}
		if !bytes.Equal(leaf.Certificate.AuthorityKeyId, inter.Certificate.SubjectKeyId) {
			t.Errorf("%s CA: AuthorityKeyId %x, issuer's SubjectKeyId %x", k, leaf.Certificate.AuthorityKeyId, inter.Certificate.SubjectKeyId)
		}
	}
}

// sampleCertificate is the NCA's GOST test certificate in the upstream SHEP sample request.
func sampleCertificate(t *testing.T) *x509.Certificate {
	t.Helper()
	path := filepath.Join("..", "..", "..", "shared", "upstream", "shep", "shep-service", "example", "request.xml")
	raw, err := os.ReadFile(path)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the NCA's sample certificate: %v", err)
		}
		t.Skipf("the NCA's sample certificate: %v", err)
	}
	m := regexp.MustCompile(`<wsse:KeyIdentifier[^>]*>([^<]+)<`).FindSubmatch(raw)
	if m == nil {
		t.Fatalf("%s: no wsse:KeyIdentifier", path)
	}
	der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(string(m[1])), ""))
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatalf("x509.ParseCertificate of the NCA's sample: %v", err)
	}
	return c
}

func TestNCASampleCertificate(t *testing.T) {
	c := sampleCertificate(t)
	pub, err := PublicKeyOf(c)
	if err != nil {
		t.Fatal(err)
	}
	k, ok := pub.(*gost.PublicKey)
	if !ok || !isCurveA(k.Curve) {
		t.Fatalf("key %T on %v, want a GOST key on CryptoPro-A", pub, k)
	}
	spki := c.RawSubjectPublicKeyInfo
	if want := spki[len(spki)-64:]; !bytes.Equal(k.Raw(), want) {
		t.Fatalf("key %x, the certificate holds %x", k.Raw(), want)
	}
	// What this package writes is what the NCA writes: the same SPKI, the same signature
	// algorithm, the same SubjectKeyId convention.
	if mine, err := marshalGOSTPublicKey(k); err != nil || !bytes.Equal(mine, spki) {
		t.Errorf("SPKI written %x (%v), the NCA's %x", mine, err, spki)
	}
	if alg, err := outerAlgorithm(c.Raw); err != nil || !bytes.Equal(alg, gostSignatureAlgorithm()) {
		t.Errorf("signature algorithm %x (%v), written %x", alg, err, gostSignatureAlgorithm())
	}
	if !bytes.Equal(subjectKeyID(spki), c.SubjectKeyId) {
		t.Errorf("SubjectKeyId %x, the NCA's %x", subjectKeyID(spki), c.SubjectKeyId)
	}
}

// reencodeRU writes c with the Russian OIDs of RFC 4491 (key 1.2.643.2.2.19 on 1.2.643.2.2.35.1 with
// hash parameters 1.2.643.2.2.30.1, signature 1.2.643.2.2.3 without parameters), signed by key.
func reencodeRU(t *testing.T, c *x509.Certificate, pub *gost.PublicKey, key *gost.PrivateKey) *x509.Certificate {
	t.Helper()
	var spki, octets, alg cryptobyte.Builder
	octets.AddASN1OctetString(pub.Raw())
	spki.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
			b.AddASN1ObjectIdentifier(oidGOSTKeyRU)
			b.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
				b.AddASN1ObjectIdentifier(asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 1})
				b.AddASN1ObjectIdentifier(oidGOSTDigestRU)
			})
		})
		b.AddASN1BitString(octets.BytesOrPanic())
	})
	alg.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) { b.AddASN1ObjectIdentifier(oidGOSTSignatureRU) })
	tbs, err := rebuildTBS(c.RawTBSCertificate, alg.BytesOrPanic(), spki.BytesOrPanic())
	if err != nil {
		t.Fatal(err)
	}
	h := gost.NewHash(gost.SBoxCryptoPro)
	h.Write(tbs)
	sig, err := key.Sign(rand.Reader, h.Sum(nil), nil)
	if err != nil {
		t.Fatal(err)
	}
	var cert cryptobyte.Builder
	cert.AddASN1(cbasn1.SEQUENCE, func(b *cryptobyte.Builder) {
		b.AddBytes(tbs)
		b.AddBytes(alg.BytesOrPanic())
		b.AddASN1BitString(sig)
	})
	out, err := x509.ParseCertificate(cert.BytesOrPanic())
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestRussianOIDsAreRead(t *testing.T) {
	root := issue(t, "RU Root", newKey(t, GOST2004), nil, true, nil)
	key := root.Key.(*gost.PrivateKey)
	ru := reencodeRU(t, root.Certificate, &key.PublicKey, key)
	pub, err := PublicKeyOf(ru)
	if err != nil || !key.PublicKey.Equal(pub) {
		t.Fatalf("PublicKeyOf: %v, %v", pub, err)
	}
	if err := CheckSignatureFrom(ru, ru); err != nil {
		t.Fatalf("CheckSignatureFrom: %v", err)
	}
	// Signed over the KZ hash instead, the signature does not verify: the issuer's digest
	// parameters choose the hash.
	if err := CheckSignatureFrom(ru, root.Certificate); err == nil {
		t.Fatal("a certificate signed over the CryptoPro-parameter hash verified with the NCA's hash parameters")
	}
}

func TestPublicKeyOfRefusesUnknownCurve(t *testing.T) {
	key := newKey(t, GOST2004).Public().(*gost.PublicKey)
	spki, err := marshalGOSTPublicKey(key)
	if err != nil {
		t.Fatal(err)
	}
	curve, _ := asn1.Marshal(gost.OIDKazakhCurveA)
	unknown, _ := asn1.Marshal(asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1, 9})
	bad := bytes.Replace(spki, curve, unknown, 1)
	_, err = PublicKeyOf(&x509.Certificate{RawSubjectPublicKeyInfo: bad, Subject: pkix.Name{CommonName: "odd"}})
	if err == nil || !strings.Contains(err.Error(), "1.2.398.3.10.1.1.1.1.9") {
		t.Fatalf("unknown curve: %v", err)
	}
}

func TestGOSTIdentityFiles(t *testing.T) {
	_, inter, leaf := gostChain(t)
	leaf.Chain = []*x509.Certificate{inter.Certificate}
	dir := t.TempDir()
	certPath, keyPath := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := SaveIdentity(leaf, certPath, keyPath); err != nil {
		t.Fatal(err)
	}
	got, err := LoadIdentity(certPath, keyPath)
	if err != nil {
		t.Fatal(err)
	}
	key, ok := got.Key.(*gost.PrivateKey)
	if !ok || !key.Equal(leaf.Key) || !got.Certificate.Equal(leaf.Certificate) || len(got.Chain) != 1 {
		t.Fatalf("loaded %T, chain %d", got.Key, len(got.Chain))
	}
	digest := gost.Sum([]byte("a message"))
	sig, err := got.Key.Sign(rand.Reader, digest[:], crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := PublicKeyOf(got.Certificate)
	if err != nil || !gost.Verify(pub.(*gost.PublicKey), digest[:], sig) {
		t.Fatalf("the loaded key's signature does not verify with the certificate's key (%v)", err)
	}

	// The layout: version 0, the certificate's AlgorithmIdentifier, OCTET STRING { OCTET STRING (32) }.
	raw, _ := os.ReadFile(keyPath)
	b, _ := pem.Decode(raw)
	s := cryptobyte.String(b.Bytes)
	var info, alg, priv, inner cryptobyte.String
	var version int
	var spki, spkiAlg cryptobyte.String
	spki = cryptobyte.String(got.Certificate.RawSubjectPublicKeyInfo)
	if !s.ReadASN1(&info, cbasn1.SEQUENCE) || !info.ReadASN1Integer(&version) || version != 0 ||
		!info.ReadASN1Element(&alg, cbasn1.SEQUENCE) || !info.ReadASN1(&priv, cbasn1.OCTET_STRING) ||
		!priv.ReadASN1(&inner, cbasn1.OCTET_STRING) || len(inner) != 32 || !bytes.Equal(inner, key.Raw()) {
		t.Fatalf("PKCS#8 layout: %x", b.Bytes)
	}
	if !spki.ReadASN1(&spki, cbasn1.SEQUENCE) || !spki.ReadASN1Element(&spkiAlg, cbasn1.SEQUENCE) || !bytes.Equal(alg, spkiAlg) {
		t.Fatalf("PKCS#8 algorithm %x, the certificate's %x", []byte(alg), []byte(spkiAlg))
	}

	// The OpenSSL GOST engine's default form, the bare 32 bytes, is read too.
	bare := bytes.Replace(b.Bytes, append([]byte{0x04, 34, 0x04, 32}, inner...), append([]byte{0x04, 32}, inner...), 1)
	bare[1] -= 2 // the outer SEQUENCE is two bytes shorter
	if k, err := parseGOSTPrivateKey(bare); err != nil || !k.Equal(key) {
		t.Fatalf("bare 32-byte private key: %v", err)
	}
}

func TestClassicKeyFilesUnchanged(t *testing.T) {
	for _, k := range []KeyType{ECDSAP256, RSA2048} {
		id := issue(t, k.String(), newKey(t, k), nil, true, nil)
		dir := t.TempDir()
		if err := SaveIdentity(id, filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem")); err != nil {
			t.Fatal(err)
		}
		got, err := LoadIdentity(filepath.Join(dir, "c.pem"), filepath.Join(dir, "k.pem"))
		if err != nil {
			t.Fatal(err)
		}
		if eq, ok := got.Key.(interface{ Equal(crypto.PrivateKey) bool }); !ok || !eq.Equal(id.Key) {
			t.Errorf("%s: loaded %T", k, got.Key)
		}
		if _, isECDSA := got.Key.(*ecdsa.PrivateKey); isECDSA != (k == ECDSAP256) {
			t.Errorf("%s: loaded %T", k, got.Key)
		}
	}
}

func TestKeyTypes(t *testing.T) {
	for _, s := range []string{"gost2004", "GOST-2004", " gost34310-2004 "} {
		if k, err := ParseKeyType(s); err != nil || k != GOST2004 {
			t.Errorf("ParseKeyType(%q) = %v, %v", s, k, err)
		}
	}
	for _, s := range []string{"gost2012", "gost"} { // "gost" alone could be a GOST R 34.10-2015 key
		if _, err := ParseKeyType(s); err == nil || !strings.Contains(err.Error(), "gost2004") {
			t.Errorf("%q: an unknown algorithm's error does not list gost2004: %v", s, err)
		}
	}
	if GOST2004.String() != "GOST 34.310-2004" {
		t.Errorf("String %q", GOST2004.String())
	}
	if TLSKeyType(GOST2004) != ECDSAP256 || TLSKeyType(RSA2048) != RSA2048 || TLSKeyType(ECDSAP256) != ECDSAP256 {
		t.Error("TLSKeyType")
	}
	if k, ok := newKey(t, GOST2004).(*gost.PrivateKey); !ok || !isCurveA(k.Curve) {
		t.Error("NewKey(GOST2004) is not a GOST key on CryptoPro-A")
	}
}

// crypto/x509 cannot compare a GOST parent's key with the signer's; CreateCertificate does.
func TestCreateCertificateRefusesAnotherSigner(t *testing.T) {
	ca := issue(t, "GOST CA", newKey(t, GOST2004), nil, true, nil)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "holder"}, NotBefore: testNow, NotAfter: testNow.AddDate(1, 0, 0)}
	_, err := CreateCertificate(tmpl, ca.Certificate, newKey(t, GOST2004).Public(), newKey(t, GOST2004))
	if err == nil || !strings.Contains(err.Error(), `"GOST CA"`) {
		t.Fatalf("signed by a key that is not the issuer's: %v", err)
	}
}
