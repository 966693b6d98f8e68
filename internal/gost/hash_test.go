package gost_test

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/shepconf/shepconf/internal/gost"
	"github.com/shepconf/shepconf/internal/upstreamtest"
)

type vector struct {
	msg  string
	want string // hex, in the digest's byte order (H least significant byte first)
}

// Test parameter set. Sources:
//   - RFC 5831 §7.3.1 for the 32- and 50-byte messages; the RFC prints H as
//     an integer (FAFF37A6…66C4B1, 0852F562…BA1A47), these are its bytes
//     least significant first;
//   - the "GOST hash test vectors" of the Wikipedia article "GOST (hash
//     function)" for "", "a", "message digest", 128 U, the fox and the cog
//     and 1,000,000 a; "abc" from the pygost test suite (test_gost341194.py).
var vectorsTest = []vector{
	{"", "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"},
	{"a", "d42c539e367c66e9c88a801f6649349c21871b4344c6a573f849fdce62f314dd"},
	{"abc", "f3134348c44fb1b2a277729e2285ebb5cb5e0f29c975bc753b70497c06a4d51d"},
	{"message digest", "ad4434ecb18f2c99b60cbe59ec3d2469582b65273f48de72db2fde16a4889a4d"},
	{strings.Repeat("U", 128), "53a3a3ed25180cef0c1d85a074273e551c25660a87062a52d926a9e8fe5733a4"},
	{"The quick brown fox jumps over the lazy dog", "77b7fa410c9ac58a25f49bca7d0468c9296529315eaca76bd1a10f376d1f4294"},
	{"The quick brown fox jumps over the lazy cog", "a3ebc4daaab78b0be131dab5737a7f67e602670d543521319150d2e14eeec445"},
	{"This is message, length=32 bytes", "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa"},
	{"Suppose the original message has length = 50 bytes", "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208"},
	{strings.Repeat("a", 1000000), "5c00ccc2734cdd3332d3d4749576e3c1a7dbaf0e7ea74e9fa602413c90a129fa"},
}

// CryptoPro parameter set (RFC 4357 §11.2). Source: the Wikipedia article
// "GOST (hash function)", "GOST hash test vectors", CryptoPro parameters;
// the same values are in the pygost test suite.
var vectorsCryptoPro = []vector{
	{"", "981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0"},
	{"a", "e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011"},
	{"abc", "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c"},
	{"message digest", "bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0"},
	{"The quick brown fox jumps over the lazy dog", "9004294a361a508c586fe53d1f1b02746765e71b765472786e4770d565830a76"},
	{"This is message, length=32 bytes", "2cefc2f7b7bdc514e18ea57fa74ff357e7fa17d652c75f69cb1be7893ede48eb"},
	{"Suppose the original message has length = 50 bytes", "c3730c5cbccacf915ac292676f21e8bd4ef75331d9405e5f1a61dc3130a65011"},
	{strings.Repeat("U", 128), "1c4ac7614691bbf427fa2316216be8f10d92edfd37cd1027514c1008f649c4e8"},
	{strings.Repeat("a", 1000000), "8693287aa62f9478f7cb312ec0866b6c4e4a0f11160441e8f4ffcd2715dd554f"},
}

func label(msg string) string {
	if len(msg) > 40 {
		return fmt.Sprintf("%.20q...(%d bytes)", msg, len(msg))
	}
	return fmt.Sprintf("%q", msg)
}

func TestKnownAnswers(t *testing.T) {
	for _, set := range []struct {
		name string
		s    *gost.SBox
		vs   []vector
	}{
		{"TestParamSet", gost.SBoxTest, vectorsTest},
		{"CryptoProParamSet", gost.SBoxCryptoPro, vectorsCryptoPro},
	} {
		for _, v := range set.vs {
			h := gost.NewHash(set.s)
			h.Write([]byte(v.msg))
			if got := hex.EncodeToString(h.Sum(nil)); got != v.want {
				t.Errorf("%s %s = %s, want %s", set.name, label(v.msg), got, v.want)
			}
		}
	}
}

// New and Sum are the NCA's parameter set, SBoxTest (TestRealSampleDigests).
func TestNewIsTestParamSet(t *testing.T) {
	for _, v := range vectorsTest[:9] {
		h := gost.New()
		h.Write([]byte(v.msg))
		if got := hex.EncodeToString(h.Sum(nil)); got != v.want {
			t.Errorf("New() %s = %s, want %s", label(v.msg), got, v.want)
		}
		if got := gost.Sum([]byte(v.msg)); hex.EncodeToString(got[:]) != v.want {
			t.Errorf("Sum(%s) = %x, want %s", label(v.msg), got, v.want)
		}
	}
	if h := gost.New(); h.Size() != 32 || h.BlockSize() != 32 {
		t.Errorf("Size() = %d, BlockSize() = %d, want 32, 32", h.Size(), h.BlockSize())
	}
}

// Writing the message in pieces of every size gives the one-shot digest;
// Sum does not disturb the state and Reset restores the initial one.
func TestChunked(t *testing.T) {
	msg := make([]byte, 300)
	for i := range msg {
		msg[i] = byte(i*7 + 3)
	}
	for _, s := range []*gost.SBox{gost.SBoxTest, gost.SBoxCryptoPro} {
		one := gost.NewHash(s)
		one.Write(msg)
		want := one.Sum(nil)
		h := gost.NewHash(s)
		for size := 1; size <= len(msg)+1; size++ {
			h.Reset()
			for p := msg; len(p) > 0; {
				n := min(size, len(p))
				h.Write(p[:n])
				p = p[n:]
			}
			first, second := h.Sum(nil), h.Sum([]byte("x"))
			if !bytes.Equal(first, want) {
				t.Fatalf("pieces of %d bytes: %x, one-shot %x", size, first, want)
			}
			if !bytes.Equal(second[1:], want) || second[0] != 'x' {
				t.Fatalf("pieces of %d bytes: second Sum %x differs from the first %x", size, second, first)
			}
		}
		// Writing after Sum continues the same message.
		h.Reset()
		h.Write(msg[:77])
		h.Sum(nil)
		h.Write(msg[77:])
		if got := h.Sum(nil); !bytes.Equal(got, want) {
			t.Errorf("Write after Sum: %x, want %x", got, want)
		}
	}
}

func TestNoAllocations(t *testing.T) {
	h := gost.New()
	msg := make([]byte, 1000)
	buf := make([]byte, 0, 32)
	if n := testing.AllocsPerRun(100, func() {
		h.Reset()
		h.Write(msg[:3])
		h.Write(msg[3:])
		h.Sum(buf[:0])
	}); n != 0 {
		t.Errorf("Reset/Write/Sum allocate %v times per run, want 0", n)
	}
	if n := testing.AllocsPerRun(100, func() { gost.Sum(msg) }); n != 0 {
		t.Errorf("Sum allocates %v times per run, want 0", n)
	}
}

func FuzzHash(f *testing.F) {
	f.Add([]byte(""), uint8(1))
	f.Add([]byte("This is message, length=32 bytes"), uint8(5))
	f.Add(bytes.Repeat([]byte{0xff}, 100), uint8(31))
	f.Fuzz(func(t *testing.T, data []byte, size uint8) {
		n := int(size%64) + 1
		for _, s := range []*gost.SBox{gost.SBoxTest, gost.SBoxCryptoPro} {
			one := gost.NewHash(s)
			one.Write(data)
			want := one.Sum(nil)
			h := gost.NewHash(s)
			for p := data; len(p) > 0; {
				k := min(n, len(p))
				h.Write(p[:k])
				p = p[k:]
			}
			if got := h.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("pieces of %d: %x, one-shot %x", n, got, want)
			}
		}
		if got, want := gost.Sum(data), gost.NewHash(gost.SBoxTest); !bytes.Equal(got[:], sum(want, data)) {
			t.Fatalf("Sum %x differs from NewHash(SBoxTest)", got)
		}
	})
}

func sum(h hash.Hash, data []byte) []byte {
	h.Write(data)
	return h.Sum(nil)
}

// TestRealSampleDigests settles the NCA's parameter set and byte order on
// the NCA-signed sample envelopes of the real gateway: the DigestValue of
// the Reference to the SOAP Body (exclusive C14N, xmldsig-more#gost34311)
// must be New()'s digest of the canonical Body, as New() outputs it.
func TestRealSampleDigests(t *testing.T) {
	dir := filepath.Join(upstreamtest.Dir(t), "shep", "shep-service", "example")
	for _, name := range []string{"request.xml", "response.xml"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(dir, name)
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("the sample %s is needed for the NCA digest check: %v", path, err)
			}
			canon, want := canonicalBody(t, raw)
			if got := gost.Sum(canon); !bytes.Equal(got[:], want) {
				t.Fatalf("%s: gost.Sum(canonical Body) = %s, DigestValue = %s",
					path, base64.StdEncoding.EncodeToString(got[:]), base64.StdEncoding.EncodeToString(want))
			}
			if got := sum(gost.New(), canon); !bytes.Equal(got, want) {
				t.Fatalf("%s: gost.New() digest of the canonical Body = %s, DigestValue = %s",
					path, base64.StdEncoding.EncodeToString(got), base64.StdEncoding.EncodeToString(want))
			}
			// The CryptoPro parameter set and the reversed byte order do not
			// match, so the sample does decide between them.
			cp := sum(gost.NewHash(gost.SBoxCryptoPro), canon)
			if bytes.Equal(cp, want) {
				t.Errorf("%s: the CryptoPro parameter set matches too", path)
			}
			rev := gost.Sum(canon)
			for i, j := 0, len(rev)-1; i < j; i, j = i+1, j-1 {
				rev[i], rev[j] = rev[j], rev[i]
			}
			if bytes.Equal(rev[:], want) {
				t.Errorf("%s: the reversed digest matches too", path)
			}
			// Any altered byte of the Body changes the digest.
			for i := range canon {
				canon[i] ^= 0x01
				if got := gost.Sum(canon); bytes.Equal(got[:], want) {
					t.Fatalf("%s: flipping bit 0 of canonical byte %d keeps the DigestValue", path, i)
				}
				canon[i] ^= 0x01
			}
		})
	}
}

// canonicalBody returns the exclusive C14N (no InclusiveNamespaces) of the
// element the signature's single Reference points to, checked to be the
// SOAP Body, and the Reference's DigestValue.
func canonicalBody(t *testing.T, raw []byte) (canon, digest []byte) {
	t.Helper()
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(raw); err != nil {
		t.Fatal(err)
	}
	refs := doc.FindElements("//Signature/SignedInfo/Reference")
	if len(refs) != 1 {
		t.Fatalf("%d signature References, want 1", len(refs))
	}
	ref := refs[0]
	if alg := ref.FindElement("DigestMethod").SelectAttrValue("Algorithm", ""); alg != "http://www.w3.org/2001/04/xmldsig-more#gost34311" {
		t.Fatalf("DigestMethod %q, want xmldsig-more#gost34311", alg)
	}
	if alg := ref.FindElement("Transforms/Transform").SelectAttrValue("Algorithm", ""); alg != "http://www.w3.org/2001/10/xml-exc-c14n#" {
		t.Fatalf("Transform %q, want exclusive C14N", alg)
	}
	digest, err := base64.StdEncoding.DecodeString(strings.TrimSpace(ref.FindElement("DigestValue").Text()))
	if err != nil {
		t.Fatal(err)
	}
	id := strings.TrimPrefix(ref.SelectAttrValue("URI", ""), "#")
	var target *etree.Element
	for _, e := range doc.FindElements("//*") {
		if a := e.SelectAttr("wsu:Id"); a != nil && a.Value == id {
			target = e
		}
	}
	if target == nil || target.Tag != "Body" || target.NamespaceURI() != "http://schemas.xmlsoap.org/soap/envelope/" {
		t.Fatalf("Reference URI #%s does not point to the SOAP Body", id)
	}
	return exclusiveC14N(t, target), digest
}

func BenchmarkHash(b *testing.B) {
	for _, size := range []int{1 << 10, 64 << 10} {
		b.Run(fmt.Sprintf("%dKiB", size>>10), func(b *testing.B) {
			msg := make([]byte, size)
			h := gost.New()
			out := make([]byte, 0, 32)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				h.Reset()
				h.Write(msg)
				out = h.Sum(out[:0])
			}
		})
	}
}
