package gost

import (
	"encoding/binary"
	"math/big"
	"math/bits"
)

// Arithmetic modulo an odd m < 2^256 (the field prime p or the group order q
// of a curve) in Montgomery form: an element x is held as x*R mod m with
// R = 2^256, fully reduced to [0, m-1], in four 64-bit limbs. Points and
// scalars stay in this form; conversions happen only where bytes or integers
// enter or leave (setBytes, setBig, toMont, fromMont, bytes).
//
// Constant time: every operation runs the same instructions on the same
// limbs whatever the values. bits.Mul64, bits.Add64 and bits.Sub64 are
// documented by math/bits to take time independent of their inputs (MULQ,
// ADCQ and SBBQ on amd64); carries and borrows travel as 0/1 words, and a
// final "subtract m if the value is at least m" is a masked select between
// the two results, never a branch or a table index.

// elem is an integer modulo a modulus, least significant limb first.
type elem [4]uint64

// modulus is an odd m < 2^256 and its Montgomery constants.
type modulus struct {
	m    elem   // the modulus
	mInv uint64 // m' = -m^-1 mod 2^64, for the CIOS reduction step
	r2   elem   // R^2 mod m, to enter Montgomery form by one multiplication
	one  elem   // R mod m, the Montgomery form of 1
	exp  elem   // m-2, the public exponent of Fermat inversion
}

// newModulus precomputes the constants of an odd m, 2 < m < 2^256. The
// modulus is public, so math/big may be used here.
func newModulus(v *big.Int) *modulus {
	if v.Bit(0) != 1 || v.BitLen() > 256 || v.Cmp(big.NewInt(3)) < 0 {
		panic("gost: modulus must be odd and in [3, 2^256)")
	}
	f := &modulus{m: limbs(v)}
	// Newton-Hensel iteration for m0^-1 mod 2^64: inv = m0 is right modulo
	// 2^3 (m0*m0 = 1 mod 8 for odd m0) and each step doubles the correct
	// low bits: 3, 6, 12, 24, 48, 96.
	m0 := f.m[0]
	inv := m0
	for range 5 {
		inv *= 2 - m0*inv
	}
	f.mInv = -inv
	r := new(big.Int).Lsh(big.NewInt(1), 256)
	f.one = limbs(new(big.Int).Mod(r, v))
	f.r2 = limbs(new(big.Int).Mod(new(big.Int).Mul(r, r), v))
	f.exp = limbs(new(big.Int).Sub(v, big.NewInt(2)))
	return f
}

// limbs splits 0 <= v < 2^256 into limbs (no reduction).
func limbs(v *big.Int) elem {
	var b [32]byte
	v.FillBytes(b[:])
	return beLimbs(b[:])
}

// beLimbs reads 32 big-endian bytes.
func beLimbs(b []byte) elem {
	return elem{
		binary.BigEndian.Uint64(b[24:32]),
		binary.BigEndian.Uint64(b[16:24]),
		binary.BigEndian.Uint64(b[8:16]),
		binary.BigEndian.Uint64(b[0:8]),
	}
}

// madd returns a*b + c + d as a 128-bit hi:lo. It cannot overflow:
// (2^64-1)^2 + 2(2^64-1) = 2^128 - 1.
func madd(a, b, c, d uint64) (hi, lo uint64) {
	hi, lo = bits.Mul64(a, b)
	var carry uint64
	lo, carry = bits.Add64(lo, c, 0)
	hi += carry
	lo, carry = bits.Add64(lo, d, 0)
	hi += carry
	return hi, lo
}

// mul sets z = x*y*R^-1 mod m: Montgomery multiplication by the Coarsely
// Integrated Operand Scanning method (CIOS) of Koç, Acar and Kaliski,
// "Analyzing and Comparing Montgomery Multiplication Algorithms", IEEE Micro
// 16(3), 1996, with s = 4 words. x must be below m; y may be any 256-bit
// value, so mul(z, &f.r2, a) reduces an arbitrary a into Montgomery form.
// z may alias x or y.
//
// Each of the four rounds adds x*y[i], then adds u*m with u = t0*m' mod 2^64
// so that the low word becomes zero, and shifts one word down. With t < 2m
// before a round, x <= m-1, y[i] <= 2^64-1 and u <= 2^64-1, the sum is at most
// (2m-1) + (m-1)(2^64-1) + m(2^64-1) = (2m-1)*2^64, so t < 2m after it too.
// As m may exceed 2^255, t needs a fifth word t4 (0 or 1), and the sum before
// the shift a sixth t5; one conditional subtraction then gives [0, m-1].
func (f *modulus) mul(z, x, y *elem) {
	m := &f.m
	var t0, t1, t2, t3, t4, t5, c uint64
	for i := range 4 {
		yi := y[i]
		c, t0 = madd(x[0], yi, t0, 0)
		c, t1 = madd(x[1], yi, t1, c)
		c, t2 = madd(x[2], yi, t2, c)
		c, t3 = madd(x[3], yi, t3, c)
		t4, t5 = bits.Add64(t4, c, 0)

		u := t0 * f.mInv
		c, _ = madd(u, m[0], t0, 0) // the low word is zero by the choice of u
		c, t0 = madd(u, m[1], t1, c)
		c, t1 = madd(u, m[2], t2, c)
		c, t2 = madd(u, m[3], t3, c)
		t3, c = bits.Add64(t4, c, 0)
		t4 = t5 + c
	}
	f.reduceOnce(z, t0, t1, t2, t3, t4)
}

// reduceOnce sets z = t - m if t >= m and z = t otherwise, for the 257-bit
// t = t4:t3:t2:t1:t0 < 2m. Both differences are computed; the borrow out of
// the fifth word (1 exactly when t < m) becomes an all-ones or all-zeros
// mask that picks one of them.
func (f *modulus) reduceOnce(z *elem, t0, t1, t2, t3, t4 uint64) {
	m := &f.m
	d0, b := bits.Sub64(t0, m[0], 0)
	d1, b := bits.Sub64(t1, m[1], b)
	d2, b := bits.Sub64(t2, m[2], b)
	d3, b := bits.Sub64(t3, m[3], b)
	_, b = bits.Sub64(t4, 0, b)
	keep := -b // all ones when t < m
	z[0] = d0 ^ (keep & (d0 ^ t0))
	z[1] = d1 ^ (keep & (d1 ^ t1))
	z[2] = d2 ^ (keep & (d2 ^ t2))
	z[3] = d3 ^ (keep & (d3 ^ t3))
}

// square sets z = x*x*R^-1 mod m.
func (f *modulus) square(z, x *elem) { f.mul(z, x, x) }

// add sets z = x + y mod m for x, y < m. The sum is below 2m < 2^257, its
// carry is the fifth word for reduceOnce.
func (f *modulus) add(z, x, y *elem) {
	s0, c := bits.Add64(x[0], y[0], 0)
	s1, c := bits.Add64(x[1], y[1], c)
	s2, c := bits.Add64(x[2], y[2], c)
	s3, c := bits.Add64(x[3], y[3], c)
	f.reduceOnce(z, s0, s1, s2, s3, c)
}

// sub sets z = x - y mod m for x, y < m: the difference, plus m masked by
// the borrow (added when x < y, the result then wrapping into [0, m-1]).
func (f *modulus) sub(z, x, y *elem) {
	d0, b := bits.Sub64(x[0], y[0], 0)
	d1, b := bits.Sub64(x[1], y[1], b)
	d2, b := bits.Sub64(x[2], y[2], b)
	d3, b := bits.Sub64(x[3], y[3], b)
	mask := -b
	var c uint64
	z[0], c = bits.Add64(d0, f.m[0]&mask, 0)
	z[1], c = bits.Add64(d1, f.m[1]&mask, c)
	z[2], c = bits.Add64(d2, f.m[2]&mask, c)
	z[3], _ = bits.Add64(d3, f.m[3]&mask, c)
}

// inv sets z = x^-1 (in Montgomery form, from x in Montgomery form) as
// x^(m-2) by Fermat's little theorem, for prime m; 0 gives 0. A fixed 4-bit
// window over the exponent m-2: 14 multiplications for x^2..x^15, then for
// each of the 64 digits four squarings and one multiplication by the table
// entry of that digit. The sequence of operations and the entries read
// depend only on the public modulus, never on x.
func (f *modulus) inv(z, x *elem) {
	var table [16]elem // x^j in Montgomery form
	table[0] = f.one
	table[1] = *x
	for j := 2; j < 16; j++ {
		f.mul(&table[j], &table[j-1], x)
	}
	r := f.one
	for i := 63; i >= 0; i-- {
		for range 4 {
			f.square(&r, &r)
		}
		d := f.exp[i/16] >> (4 * (i % 16)) & 15
		f.mul(&r, &r, &table[d])
	}
	*z = r
}

// toMont sets z = a*R mod m for an integer a of four limbs, any value below
// 2^256: the Montgomery form of a mod m (see mul for why a may exceed m).
func (f *modulus) toMont(z, a *elem) { f.mul(z, &f.r2, a) }

// fromMont sets z to the integer x*R^-1 mod m in [0, m-1], leaving
// Montgomery form: a multiplication by the integer 1.
func (f *modulus) fromMont(z, x *elem) { f.mul(z, x, &elem{1}) }

// setBytes sets z to the Montgomery form of b mod m, b being 32 bytes
// big-endian, and returns 1 if b < m and 0 otherwise. Both the reduction and
// the comparison are constant-time, so b may be secret.
func (f *modulus) setBytes(z *elem, b []byte) uint64 {
	a := beLimbs(b)
	var borrow uint64
	_, borrow = bits.Sub64(a[0], f.m[0], 0)
	_, borrow = bits.Sub64(a[1], f.m[1], borrow)
	_, borrow = bits.Sub64(a[2], f.m[2], borrow)
	_, borrow = bits.Sub64(a[3], f.m[3], borrow)
	f.toMont(z, &a)
	return borrow // 1 exactly when a < m
}

// setBig sets z to the Montgomery form of v mod m, for public
// 0 <= v < 2^256 (toMont reduces it).
func (f *modulus) setBig(z *elem, v *big.Int) {
	if v.Sign() < 0 || v.BitLen() > 256 {
		panic("gost: integer out of [0, 2^256)")
	}
	a := limbs(v)
	f.toMont(z, &a)
}

// bytes returns x, leaving Montgomery form, as 32 bytes big-endian.
func (f *modulus) bytes(x *elem) []byte {
	var a elem
	f.fromMont(&a, x)
	out := make([]byte, 32)
	binary.BigEndian.PutUint64(out[0:8], a[3])
	binary.BigEndian.PutUint64(out[8:16], a[2])
	binary.BigEndian.PutUint64(out[16:24], a[1])
	binary.BigEndian.PutUint64(out[24:32], a[0])
	return out
}

// IsZero returns 1 if x is zero and 0 otherwise, without branches. Zero is
// zero in Montgomery form too.
func (x *elem) IsZero() uint64 {
	w := x[0] | x[1] | x[2] | x[3]
	return 1 ^ ((w | -w) >> 63)
}

// equal returns 1 if x == y and 0 otherwise, without branches.
func (x *elem) equal(y *elem) uint64 {
	d := elem{x[0] ^ y[0], x[1] ^ y[1], x[2] ^ y[2], x[3] ^ y[3]}
	return d.IsZero()
}

// selectIf sets x = y if on == 1 and leaves x unchanged if on == 0, reading
// and writing every limb either way.
func (x *elem) selectIf(y *elem, on uint64) {
	mask := -on
	x[0] ^= mask & (x[0] ^ y[0])
	x[1] ^= mask & (x[1] ^ y[1])
	x[2] ^= mask & (x[2] ^ y[2])
	x[3] ^= mask & (x[3] ^ y[3])
}
