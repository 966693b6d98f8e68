package gost

import (
	"crypto"
	cryptorand "crypto/rand"
	"errors"
	"fmt"
	"io"
	"math/big"
	"slices"
)

// PublicKey is a GOST R 34.10-2001 public key, the point Q = d*P
// (RFC 5832 §6.1). X and Y are affine coordinates in [0, p-1].
type PublicKey struct {
	Curve *Curve
	X, Y  *big.Int
}

// PrivateKey is a GOST R 34.10-2001 private key d, 0 < d < q (RFC 5832 §6.1).
type PrivateKey struct {
	PublicKey
	d elem // modulo q, Montgomery form
}

// NewPublicKey parses a raw public key: 64 bytes, X then Y, each 32 bytes
// little-endian, as in the OCTET STRING of RFC 4491 §2.3.2 and the NCA's
// certificates. It refuses a point that is not on the curve (the identity has
// no affine form, so it cannot be given).
func NewPublicKey(c *Curve, raw []byte) (*PublicKey, error) {
	if c == nil {
		return nil, errors.New("gost: public key: no curve given")
	}
	if len(raw) != 2*byteLen {
		return nil, fmt.Errorf("gost: public key is %d bytes, want %d (X||Y, each 32 bytes little-endian, RFC 4491 §2.3.2)", len(raw), 2*byteLen)
	}
	x := new(big.Int).SetBytes(reversed(raw[:byteLen]))
	y := new(big.Int).SetBytes(reversed(raw[byteLen:]))
	if !c.onCurve(x, y) {
		return nil, fmt.Errorf("gost: public key is not a point of %s (RFC 5832 §5.2); check the curve OID and the byte order (little-endian X||Y)", c.Name)
	}
	return &PublicKey{Curve: c, X: x, Y: y}, nil
}

// Raw returns the 64-byte X||Y encoding, each coordinate little-endian.
func (k *PublicKey) Raw() []byte {
	out := make([]byte, 2*byteLen)
	k.X.FillBytes(out[:byteLen])
	k.Y.FillBytes(out[byteLen:])
	slices.Reverse(out[:byteLen])
	slices.Reverse(out[byteLen:])
	return out
}

// Equal reports whether x is a *PublicKey with the same point on the same
// parameters (an alias OID is the same parameters).
func (k *PublicKey) Equal(x crypto.PublicKey) bool {
	o, ok := x.(*PublicKey)
	return ok && o != nil && sameCurve(k.Curve, o.Curve) && k.X.Cmp(o.X) == 0 && k.Y.Cmp(o.Y) == 0
}

func sameCurve(a, b *Curve) bool {
	if a == b {
		return true
	}
	if a == nil || b == nil {
		return false
	}
	return a.P.Cmp(b.P) == 0 && a.A.Cmp(b.A) == 0 && a.B.Cmp(b.B) == 0 &&
		a.Q.Cmp(b.Q) == 0 && a.X.Cmp(b.X) == 0 && a.Y.Cmp(b.Y) == 0
}

// GenerateKey makes a key pair with d uniform in [1, q-1], read from rand
// (crypto/rand if nil).
func GenerateKey(c *Curve, rand io.Reader) (*PrivateKey, error) {
	if c == nil {
		return nil, errors.New("gost: GenerateKey: no curve given")
	}
	d, err := randomScalar(c, rand)
	if err != nil {
		return nil, err
	}
	return newPrivateKey(c, d)
}

// NewPrivateKey parses a raw private key: 32 bytes, d little-endian, with
// 0 < d < q.
func NewPrivateKey(c *Curve, raw []byte) (*PrivateKey, error) {
	if c == nil {
		return nil, errors.New("gost: private key: no curve given")
	}
	if len(raw) != byteLen {
		return nil, fmt.Errorf("gost: private key is %d bytes, want %d (d little-endian)", len(raw), byteLen)
	}
	var d elem
	if inRange := c.fq.setBytes(&d, reversed(raw)); inRange&^d.IsZero() != 1 {
		return nil, fmt.Errorf("gost: private key d must satisfy 0 < d < q of %s (RFC 5832 §6.1)", c.Name)
	}
	return newPrivateKey(c, d)
}

func newPrivateKey(c *Curve, d elem) (*PrivateKey, error) {
	x, y, ok := c.affine(c.scalarBaseMult(&d))
	if !ok { // unreachable for 0 < d < q, as G has order q
		return nil, errors.New("gost: private key gives the identity")
	}
	return &PrivateKey{PublicKey: PublicKey{Curve: c, X: x, Y: y}, d: d}, nil
}

// Raw returns d as 32 bytes little-endian.
func (k *PrivateKey) Raw() []byte {
	return reversed(k.Curve.fq.bytes(&k.d))
}

// Public returns the *PublicKey.
func (k *PrivateKey) Public() crypto.PublicKey { return &k.PublicKey }

// Equal reports whether x is a *PrivateKey with the same d on the same
// parameters. The comparison of d is constant-time.
func (k *PrivateKey) Equal(x crypto.PrivateKey) bool {
	o, ok := x.(*PrivateKey)
	return ok && o != nil && k.PublicKey.Equal(&o.PublicKey) && k.d.equal(&o.d) == 1
}

// Sign implements crypto.Signer for GOST R 34.10-2001 (RFC 5832 §6.1).
// digest is the 32-byte GOST R 34.11-94 hash exactly as New() outputs it; it
// is read as a little-endian integer. The result is 64 bytes, r||s, each 32
// bytes little-endian: the XMLDSig SignatureValue of the NCA (proven on the
// real gateway's samples), which is RFC 4491's s||r big-endian reversed.
// opts is ignored. The nonce k is read from rand (crypto/rand if nil); the
// time taken does not depend on d or k.
func (k *PrivateKey) Sign(rand io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	if len(digest) != byteLen {
		return nil, fmt.Errorf("gost: digest is %d bytes, want %d (a GOST R 34.11-94 hash)", len(digest), byteLen)
	}
	c := k.Curve
	e := c.scalar(digestToInt(digest))
	for {
		kn, err := randomScalar(c, rand)
		if err != nil {
			return nil, err
		}
		if r, s, ok := k.signCore(e, &kn); ok {
			return encodeSignature(c.fq.bytes(&r), c.fq.bytes(&s)), nil
		}
	}
}

// signWithK is Sign with a given nonce, for the RFC 5832 §7.1 example.
func (k *PrivateKey) signWithK(digest []byte, kInt *big.Int) ([]byte, error) {
	c := k.Curve
	if kInt.Sign() <= 0 || kInt.Cmp(c.Q) >= 0 {
		return nil, errors.New("gost: nonce out of [1, q-1]")
	}
	r, s, ok := k.signCore(c.scalar(digestToInt(digest)), c.scalar(kInt))
	if !ok {
		return nil, errors.New("gost: nonce gives r = 0 or s = 0")
	}
	return encodeSignature(c.fq.bytes(&r), c.fq.bytes(&s)), nil
}

// signCore is RFC 5832 §6.1 steps 2-6 for the integer e of step 2 and the
// nonce 0 < k < q, both scalars in Montgomery form: C = k*P, r = x_C mod q,
// s = (r*d + k*e) mod q. It returns false if r or s is zero, when step 3 says
// to take another k.
func (k *PrivateKey) signCore(e, kn *elem) (r, s elem, ok bool) {
	c := k.Curve
	fq := c.fq
	// Step 2: e = alpha mod q, and e = 1 if that is 0.
	ee := *e
	ee.selectIf(&fq.one, ee.IsZero())

	x, ok := c.affineX(c.scalarBaseMult(kn)) // step 4: C = k*P
	if !ok {
		return r, s, false
	}
	// Step 5: r = x_C mod q. The integer x_C < p < 2^256 enters Montgomery
	// form modulo q directly (toMont reduces any 256-bit value).
	var xInt elem
	c.fp.fromMont(&xInt, &x)
	fq.toMont(&r, &xInt)
	if r.IsZero() == 1 {
		return r, s, false
	}
	// Step 5: s = (r*d + k*e) mod q.
	var rd, ke elem
	fq.mul(&rd, &r, &k.d)
	fq.mul(&ke, kn, &ee)
	fq.add(&s, &rd, &ke)
	if s.IsZero() == 1 {
		return r, s, false
	}
	return r, s, true
}

// Verify reports whether sig is a valid signature of digest under pub
// (RFC 5832 §6.2), with the encodings of Sign. It refuses r or s outside
// [1, q-1] (step 1) and a key that is not a point of its curve. It may take
// time depending on its inputs, which are all public.
func Verify(pub *PublicKey, digest, sig []byte) bool {
	if pub == nil || pub.Curve == nil || len(digest) != byteLen {
		return false
	}
	r, s, ok := decodeSignature(sig)
	if !ok {
		return false
	}
	return verifyRS(pub, digestToInt(digest), r, s)
}

// verifyRS is RFC 5832 §6.2 for the integer alpha of the digest.
func verifyRS(pub *PublicKey, alpha, r, s *big.Int) bool {
	c := pub.Curve
	if !c.onCurve(pub.X, pub.Y) {
		return false
	}
	// Step 1: 0 < r < q and 0 < s < q.
	if r.Sign() <= 0 || r.Cmp(c.Q) >= 0 || s.Sign() <= 0 || s.Cmp(c.Q) >= 0 {
		return false
	}
	// Steps 2-3: e = alpha mod q, 1 if 0.
	e := new(big.Int).Mod(alpha, c.Q)
	if e.Sign() == 0 {
		e.SetInt64(1)
	}
	// Step 4: v = e^-1 mod q. Step 5: z1 = s*v, z2 = -r*v mod q.
	v := new(big.Int).ModInverse(e, c.Q)
	z1 := new(big.Int).Mul(s, v)
	z1.Mod(z1, c.Q)
	z2 := new(big.Int).Mul(r, v)
	z2.Neg(z2).Mod(z2, c.Q)
	// Step 6: C = z1*P + z2*Q, R = x_C mod q.
	sc := c.newScratch()
	cp := c.scalarBaseMult(c.scalar(z1))
	c.add(cp, cp, c.scalarMult(c.affinePoint(pub.X, pub.Y), c.scalar(z2)), sc)
	xz, ok := c.affineX(cp)
	if !ok {
		return false
	}
	x := new(big.Int).SetBytes(c.fp.bytes(&xz))
	// Step 7: accept iff R = r.
	return x.Mod(x, c.Q).Cmp(r) == 0
}

// The two encodings below are those of the NCA's XMLDSig signatures
// (xmldsig-more#gost34310-gost34311), proven on the real gateway's signed
// sample envelopes: of every layout of r and s and both readings of the
// digest, only these verify them (TestRealSampleEncoding).

// digestToInt is alpha of RFC 5832 §6.1 step 2: the 32 digest bytes, exactly
// as the hash outputs them, read as a little-endian integer (as RFC 4491
// §2.2.2 also has it).
func digestToInt(digest []byte) *big.Int {
	return new(big.Int).SetBytes(reversed(digest))
}

// encodeSignature takes r and s as 32 bytes big-endian each and returns the
// NCA's SignatureValue: r||s, each 32 bytes little-endian. That is the
// RFC 4491 §2.2.2 octet string (s||r, big-endian) with all 64 bytes reversed,
// i.e. the 512-bit integer s*2^256 + r in little-endian.
func encodeSignature(r, s []byte) []byte {
	return slices.Concat(reversed(r), reversed(s))
}

// decodeSignature is the inverse of encodeSignature; false unless sig has 64 bytes.
func decodeSignature(sig []byte) (r, s *big.Int, ok bool) {
	if len(sig) != 2*byteLen {
		return nil, nil, false
	}
	r = new(big.Int).SetBytes(reversed(sig[:byteLen]))
	s = new(big.Int).SetBytes(reversed(sig[byteLen:]))
	return r, s, true
}

// scalar converts an integer to a scalar: Montgomery form modulo q.
func (c *Curve) scalar(v *big.Int) *elem {
	var n elem
	c.fq.setBig(&n, new(big.Int).Mod(v, c.Q))
	return &n
}

// randomScalar returns a uniform scalar in [1, q-1] by rejection sampling,
// reading 32 bytes from rand (crypto/rand if nil) per try.
func randomScalar(c *Curve, rand io.Reader) (elem, error) {
	if rand == nil {
		rand = cryptorand.Reader
	}
	buf := make([]byte, byteLen)
	for {
		if _, err := io.ReadFull(rand, buf); err != nil {
			return elem{}, fmt.Errorf("gost: reading random bytes: %w", err)
		}
		var k elem
		if c.fq.setBytes(&k, buf)&^k.IsZero() == 1 {
			return k, nil
		}
	}
}

func reversed(b []byte) []byte {
	out := slices.Clone(b)
	slices.Reverse(out)
	return out
}
