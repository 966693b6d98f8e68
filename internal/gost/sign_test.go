package gost

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
)

func dec(s string) *big.Int {
	v, ok := new(big.Int).SetString(s, 10)
	if !ok {
		panic(s)
	}
	return v
}

// digestFor returns the 32-byte digest that digestToInt reads as e.
func digestFor(t *testing.T, e *big.Int) []byte {
	t.Helper()
	be := e.FillBytes(make([]byte, byteLen))
	for _, d := range [][]byte{be, reversed(be)} {
		if digestToInt(d).Cmp(e) == 0 {
			return d
		}
	}
	t.Fatalf("no digest reads as %x", e)
	return nil
}

// TestRFC5832Example is the worked example of RFC 5832 §7.1 on the test
// curve: d gives Q, and with the nonce k the digest integer e signs to the
// published r and s, which verify.
func TestRFC5832Example(t *testing.T) {
	c := CurveTest()
	d := dec("55441196065363246126355624130324183196576709222340016572108097750006097525544")
	qx := dec("57520216126176808443631405023338071176630104906313632182896741342206604859403")
	qy := dec("17614944419213781543809391949654080031942662045363639260709847859438286763994")
	e := dec("20798893674476452017134061561508270130637142515379653289952617252661468872421")
	k := dec("53854137677348463731403841147996619241504003434302020712960838528893196233395")
	wantR := dec("29700980915817952874371204983938256990422752107994319651632687982059210933395")
	wantS := dec("574973400270084654178925310019147038455227042649098563933718999175515839552")

	priv, err := NewPrivateKey(c, reversed(d.FillBytes(make([]byte, 32))))
	if err != nil {
		t.Fatal(err)
	}
	if priv.X.Cmp(qx) != 0 || priv.Y.Cmp(qy) != 0 {
		t.Fatalf("Q = d*P = (%d, %d), want (%d, %d)", priv.X, priv.Y, qx, qy)
	}
	digest := digestFor(t, e)
	sig, err := priv.signWithK(digest, k)
	if err != nil {
		t.Fatal(err)
	}
	r, s, ok := decodeSignature(sig)
	if !ok || r.Cmp(wantR) != 0 || s.Cmp(wantS) != 0 {
		t.Fatalf("signature (r, s) = (%d, %d), want (%d, %d)", r, s, wantR, wantS)
	}
	pub, err := NewPublicKey(c, priv.PublicKey.Raw())
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(pub, digest, sig) {
		t.Fatal("the RFC 5832 §7.1 signature does not verify")
	}
	sig[0] ^= 1
	if Verify(pub, digest, sig) {
		t.Fatal("a changed RFC 5832 §7.1 signature verifies")
	}
}

// TestEncodings pins the byte layouts the package documents.
func TestEncodings(t *testing.T) {
	c := CurveCryptoProA()
	raw := make([]byte, 32)
	raw[0] = 7 // little-endian: d = 7
	priv, err := NewPrivateKey(c, raw)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(priv.Raw(), raw) {
		t.Errorf("private Raw() = %x, want %x", priv.Raw(), raw)
	}
	// 7*G by the reference.
	want := refMul(c, c.refG(), big.NewInt(7))
	pr := priv.PublicKey.Raw()
	if new(big.Int).SetBytes(reversed(pr[:32])).Cmp(want.x) != 0 || new(big.Int).SetBytes(reversed(pr[32:])).Cmp(want.y) != 0 {
		t.Errorf("public Raw() is not X||Y little-endian")
	}
	r := bytes.Repeat([]byte{0x11}, 32)
	s := bytes.Repeat([]byte{0x22}, 32)
	sig := encodeSignature(r, s)
	gr, gs, ok := decodeSignature(sig)
	if !ok || !bytes.Equal(gr.FillBytes(make([]byte, 32)), r) || !bytes.Equal(gs.FillBytes(make([]byte, 32)), s) {
		t.Errorf("decodeSignature does not invert encodeSignature")
	}
}

// TestSignVerifyAllCurves: round trips on every curve, keys through their raw
// encodings, and the e = 0 -> 1 rule (RFC 5832 §6.1 step 2, §6.2 step 3).
func TestSignVerifyAllCurves(t *testing.T) {
	rng := rand.NewChaCha8([32]byte{1})
	for _, c := range allCurves {
		t.Run(c.Name, func(t *testing.T) {
			priv, err := GenerateKey(c, rng)
			if err != nil {
				t.Fatal(err)
			}
			priv2, err := NewPrivateKey(c, priv.Raw())
			if err != nil || !priv2.Equal(priv) {
				t.Fatalf("private key does not survive Raw/NewPrivateKey: %v", err)
			}
			pub, err := NewPublicKey(c, priv.PublicKey.Raw())
			if err != nil || !pub.Equal(priv.Public()) {
				t.Fatalf("public key does not survive Raw/NewPublicKey: %v", err)
			}
			other, _ := GenerateKey(c, rng)
			if other.Equal(priv) || other.PublicKey.Equal(pub) {
				t.Fatal("different keys compare equal")
			}
			for range 4 {
				digest := make([]byte, 32)
				rng.Read(digest)
				sig, err := priv.Sign(rng, digest, nil)
				if err != nil {
					t.Fatal(err)
				}
				if !Verify(pub, digest, sig) {
					t.Fatal("signature does not verify")
				}
				if Verify(&other.PublicKey, digest, sig) {
					t.Fatal("signature verifies under another key")
				}
				digest[5] ^= 0x10
				if Verify(pub, digest, sig) {
					t.Fatal("signature verifies for another digest")
				}
			}
			// alpha = 0 and alpha = q both give e = 1, so their signatures
			// verify for the digest of 1 as well.
			for _, alpha := range []*big.Int{big.NewInt(0), c.Q} {
				sig, err := priv.Sign(rng, digestFor(t, alpha), nil)
				if err != nil {
					t.Fatal(err)
				}
				if !Verify(pub, digestFor(t, alpha), sig) {
					t.Fatalf("alpha = %x: signature does not verify", alpha)
				}
				if !Verify(pub, digestFor(t, big.NewInt(1)), sig) {
					t.Fatalf("alpha = %x: e = 0 is not replaced by 1", alpha)
				}
				if Verify(pub, digestFor(t, big.NewInt(2)), sig) {
					t.Fatalf("alpha = %x: signature verifies for e = 2", alpha)
				}
			}
		})
	}
}

// TestRefusals: Verify and the key parsers reject what RFC 5832 §6.2 step 1
// and §5.2 exclude, and anything of the wrong length.
func TestRefusals(t *testing.T) {
	c := CurveCryptoProA()
	rng := rand.NewChaCha8([32]byte{2})
	priv, err := GenerateKey(c, rng)
	if err != nil {
		t.Fatal(err)
	}
	pub := &priv.PublicKey
	digest := make([]byte, 32)
	rng.Read(digest)
	sig, err := priv.Sign(rng, digest, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !Verify(pub, digest, sig) {
		t.Fatal("the untouched signature must verify for the refusals below to mean anything")
	}
	r, s, _ := decodeSignature(sig)
	b := func(v *big.Int) []byte { return v.FillBytes(make([]byte, 32)) }
	for name, bad := range map[string][]byte{
		"r = 0":    encodeSignature(b(big.NewInt(0)), b(s)),
		"s = 0":    encodeSignature(b(r), b(big.NewInt(0))),
		"r = q":    encodeSignature(b(c.Q), b(s)),
		"s = q":    encodeSignature(b(r), b(c.Q)),
		"63 bytes": sig[:63],
		"65 bytes": append(slices.Clone(sig), 0),
		"empty":    nil,
		"swapped":  slices.Concat(sig[32:], sig[:32]),
	} {
		if Verify(pub, digest, bad) {
			t.Errorf("%s: verifies", name)
		}
	}
	// s + q is s modulo q, so only the range check of §6.2 step 1 refuses
	// it; on CryptoPro-B q < 2^255, so s + q fits the 32 bytes.
	cb := CurveCryptoProB()
	privB, _ := GenerateKey(cb, rng)
	sigB, _ := privB.Sign(rng, digest, nil)
	rB, sB, _ := decodeSignature(sigB)
	if !Verify(&privB.PublicKey, digest, sigB) {
		t.Fatal("CryptoPro-B signature does not verify")
	}
	if Verify(&privB.PublicKey, digest, encodeSignature(b(rB), b(new(big.Int).Add(sB, cb.Q)))) {
		t.Error("s + q verifies")
	}
	if Verify(&privB.PublicKey, digest, encodeSignature(b(new(big.Int).Add(rB, cb.Q)), b(sB))) {
		t.Error("r + q verifies")
	}
	if Verify(pub, digest[:31], sig) || Verify(pub, append(slices.Clone(digest), 0), sig) {
		t.Error("a digest of the wrong length verifies")
	}
	// Every single flipped bit of the signature fails.
	for i := range len(sig) * 8 {
		bad := slices.Clone(sig)
		bad[i/8] ^= 1 << (i % 8)
		if Verify(pub, digest, bad) {
			t.Fatalf("signature with bit %d flipped verifies", i)
		}
	}
	// A point off the curve, as a struct and as raw bytes.
	off := &PublicKey{Curve: c, X: pub.X, Y: new(big.Int).Add(pub.Y, big.NewInt(1))}
	if Verify(off, digest, sig) {
		t.Error("verifies under a key off the curve")
	}
	if _, err := NewPublicKey(c, off.Raw()); err == nil {
		t.Error("NewPublicKey accepts a point off the curve")
	}
	// The same point with coordinates + p: on the curve mod p, but not canonical.
	big1 := &PublicKey{Curve: c, X: new(big.Int).Add(pub.X, c.P), Y: pub.Y}
	if Verify(big1, digest, sig) {
		t.Error("verifies under a key with x >= p")
	}
	if _, err := NewPublicKey(c, pub.Raw()[:63]); err == nil {
		t.Error("NewPublicKey accepts 63 bytes")
	}
	if _, err := NewPublicKey(c, make([]byte, 64)); err == nil {
		t.Error("NewPublicKey accepts (0, 0)")
	}
	if _, err := NewPublicKey(nil, pub.Raw()); err == nil {
		t.Error("NewPublicKey accepts a nil curve")
	}
	// The key on another curve does not verify.
	if Verify(&PublicKey{Curve: CurveCryptoProB(), X: pub.X, Y: pub.Y}, digest, sig) {
		t.Error("verifies with the wrong curve")
	}
	for name, raw := range map[string][]byte{
		"zero":     make([]byte, 32),
		"q":        reversed(b(c.Q)),
		"q+1":      reversed(b(new(big.Int).Add(c.Q, big.NewInt(1)))),
		"31 bytes": make([]byte, 31),
		"33 bytes": append(priv.Raw(), 0),
	} {
		if _, err := NewPrivateKey(c, raw); err == nil {
			t.Errorf("NewPrivateKey accepts %s", name)
		}
	}
	if _, err := priv.Sign(rng, digest[:31], nil); err == nil {
		t.Error("Sign accepts a 31-byte digest")
	}
	if _, err := priv.Sign(bytes.NewReader(nil), digest, nil); err == nil {
		t.Error("Sign succeeds without randomness")
	}
}

// FuzzSignVerify: a key and nonces drawn from the fuzzed seed, a fuzzed
// digest: Sign verifies, and one flipped bit of the signature or the digest
// does not.
func FuzzSignVerify(f *testing.F) {
	f.Add([]byte("seed"), []byte("digest"), uint16(0))
	f.Add([]byte{}, make([]byte, 32), uint16(511))
	f.Add([]byte{0xff}, bytes.Repeat([]byte{0xff}, 32), uint16(767))
	f.Fuzz(func(t *testing.T, seed, d []byte, bit uint16) {
		rng := rand.NewChaCha8(sha256.Sum256(seed))
		c := allCurves[int(sha256.Sum256(seed)[0])%len(allCurves)]
		priv, err := GenerateKey(c, rng)
		if err != nil {
			t.Fatal(err)
		}
		digest := make([]byte, 32)
		copy(digest, d)
		sig, err := priv.Sign(rng, digest, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !Verify(&priv.PublicKey, digest, sig) {
			t.Fatalf("%s: signature does not verify", c.Name)
		}
		// Bits 0-511 flip the signature, 512-767 the digest.
		i := int(bit) % (8 * (len(sig) + len(digest)))
		badSig, badDigest := slices.Clone(sig), slices.Clone(digest)
		if i < 8*len(sig) {
			badSig[i/8] ^= 1 << (i % 8)
		} else {
			i -= 8 * len(sig)
			badDigest[i/8] ^= 1 << (i % 8)
			if e(c, badDigest).Cmp(e(c, digest)) == 0 {
				return // digests 0 and 1 both sign e = 1 (RFC 5832 §6.1 step 2): the same message to the signature
			}
		}
		if Verify(&priv.PublicKey, badDigest, badSig) {
			t.Fatalf("%s: verifies with bit %d flipped", c.Name, bit)
		}
	})
}

// e is the integer a digest is signed as: the digest modulo q, 0 taken as 1 (RFC 5832 §6.1 step 2).
func e(c *Curve, digest []byte) *big.Int {
	v := new(big.Int).Mod(digestToInt(digest), c.Q)
	if v.Sign() == 0 {
		v.SetInt64(1)
	}
	return v
}

// TestConcurrentUse signs and verifies from several goroutines: curves and
// their base tables are shared, so this must hold under -race.
func TestConcurrentUse(t *testing.T) {
	done := make(chan error)
	for g := range 4 {
		go func() {
			rng := rand.NewChaCha8([32]byte{byte(g), 3})
			c := allCurves[g%len(allCurves)]
			priv, err := GenerateKey(c, rng)
			if err != nil {
				done <- err
				return
			}
			digest := make([]byte, 32)
			for range 3 {
				rng.Read(digest)
				sig, err := priv.Sign(rng, digest, nil)
				if err == nil && !Verify(&priv.PublicKey, digest, sig) {
					err = fmt.Errorf("%s: concurrent signature does not verify", c.Name)
				}
				if err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range 4 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
