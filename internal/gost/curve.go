package gost

import (
	"encoding/asn1"
	"encoding/hex"
	"math/big"
	"sync"
)

// Curve is a GOST R 34.10-2001 parameter set (RFC 5832 §5.2): the short
// Weierstrass curve y^2 = x^3 + a*x + b over GF(p) and a base point (X, Y) of
// prime order Q. The exported integers are shared by every key on the curve
// and must not be modified.
//
// Every curve here has prime order (#E = Q, checked in curve_test.go), so the
// complete projective formulas used below hold for every pair of points.
type Curve struct {
	Name string
	OID  asn1.ObjectIdentifier

	P, A, B, Q, X, Y *big.Int

	aliases []asn1.ObjectIdentifier // further OIDs naming the same parameters

	// Constant-time Montgomery arithmetic (field.go): field modulus, group order.
	fp, fq    *modulus
	a, b3     elem // a and 3*b mod p (Montgomery form), for the complete formulas
	baseOnce  sync.Once
	baseTable []point // comb table of the base point, see base
}

// OIDKazakhCurveA is the curve OID in the certificates of the Kazakh national
// CA (GOST 34.310-2004, SPKI parameters). Its parameters are CryptoPro-A: the
// sample certificates' keys lie on that curve and their signatures verify
// there (TestRealSampleSignatures).
var OIDKazakhCurveA = asn1.ObjectIdentifier{1, 2, 398, 3, 10, 1, 1, 1, 1, 1}

var (
	curveTest, curveA, curveB, curveC *Curve
	allCurves                         []*Curve
)

func init() {
	// id-GostR3410-2001-TestParamSet: the example curve of RFC 5832 §7.1
	// (also RFC 4357 §11.4).
	curveTest = newCurve("GostR3410-2001-TestParamSet",
		asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 0}, nil,
		"8000000000000000000000000000000000000000000000000000000000000431", // p
		"0000000000000000000000000000000000000000000000000000000000000007", // a
		"5FBFF498AA938CE739B8E022FBAFEF40563F6E6A3472FC2A514C0CE9DAE23B7E", // b
		"8000000000000000000000000000000150FE8A1892976154C59CFC193ACCF5B3", // q
		"0000000000000000000000000000000000000000000000000000000000000002", // x
		"08E2A8A0E65147D4BD6316030E16D19C85C97F0A9CA267122B96ABBCEA7E8FC8", // y
	)
	// id-GostR3410-2001-CryptoPro-A-ParamSet, RFC 4357 §11.4; the same
	// parameters are id-GostR3410-2001-CryptoPro-XchA-ParamSet (RFC 4357
	// §11.4) and the NCA's GOST 34.310-2004 curve.
	curveA = newCurve("GostR3410-2001-CryptoPro-A-ParamSet",
		asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 1},
		[]asn1.ObjectIdentifier{{1, 2, 643, 2, 2, 36, 0}, OIDKazakhCurveA},
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD97", // p = 2^256 - 617
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFD94", // a = p - 3
		"00000000000000000000000000000000000000000000000000000000000000A6", // b = 166
		"FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF6C611070995AD10045841B09B761B893", // q
		"0000000000000000000000000000000000000000000000000000000000000001", // x
		"8D91E471E0989CDA27DF505A453F2B7635294F2DDF23E3B122ACC99C9E9F1E14", // y
	)
	// id-GostR3410-2001-CryptoPro-B-ParamSet, RFC 4357 §11.4.
	curveB = newCurve("GostR3410-2001-CryptoPro-B-ParamSet",
		asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 2}, nil,
		"8000000000000000000000000000000000000000000000000000000000000C99", // p
		"8000000000000000000000000000000000000000000000000000000000000C96", // a = p - 3
		"3E1AF419A269A5F866A7D3C25C3DF80AE979259373FF2B182F49D4CE7E1BBC8B", // b
		"800000000000000000000000000000015F700CFFF1A624E5E497161BCC8A198F", // q
		"0000000000000000000000000000000000000000000000000000000000000001", // x
		"3FA8124359F96680B83D1C3EB2C070E5C545C9858D03ECFB744BF8D717717EFC", // y
	)
	// id-GostR3410-2001-CryptoPro-C-ParamSet, RFC 4357 §11.4; the same
	// parameters are id-GostR3410-2001-CryptoPro-XchB-ParamSet (RFC 4357 §11.4).
	curveC = newCurve("GostR3410-2001-CryptoPro-C-ParamSet",
		asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 3},
		[]asn1.ObjectIdentifier{{1, 2, 643, 2, 2, 36, 1}},
		"9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D759B", // p
		"9B9F605F5A858107AB1EC85E6B41C8AACF846E86789051D37998F7B9022D7598", // a = p - 3
		"000000000000000000000000000000000000000000000000000000000000805A", // b
		"9B9F605F5A858107AB1EC85E6B41C8AA582CA3511EDDFB74F02F3A6598980BB9", // q
		"0000000000000000000000000000000000000000000000000000000000000000", // x
		"41ECE55743711A8C3CBF3783CD08C0EE4D4DC440D4641A8F366E550DFDB3BB67", // y
	)
	allCurves = []*Curve{curveTest, curveA, curveB, curveC}
}

// CurveTest is id-GostR3410-2001-TestParamSet (1.2.643.2.2.35.0), the example
// curve of RFC 5832 §7.1. Not for production keys.
func CurveTest() *Curve { return curveTest }

// CurveCryptoProA is id-GostR3410-2001-CryptoPro-A-ParamSet (1.2.643.2.2.35.1),
// also named by XchA (1.2.643.2.2.36.0) and by the NCA's OIDKazakhCurveA.
func CurveCryptoProA() *Curve { return curveA }

// CurveCryptoProB is id-GostR3410-2001-CryptoPro-B-ParamSet (1.2.643.2.2.35.2).
func CurveCryptoProB() *Curve { return curveB }

// CurveCryptoProC is id-GostR3410-2001-CryptoPro-C-ParamSet (1.2.643.2.2.35.3),
// also named by XchB (1.2.643.2.2.36.1).
func CurveCryptoProC() *Curve { return curveC }

// CurveByOID returns the parameter set an OID names. Alias OIDs (XchA, XchB,
// the Kazakh curve OID) return the same *Curve as their main OID, whose OID
// field is the main one.
func CurveByOID(oid asn1.ObjectIdentifier) (*Curve, bool) {
	for _, c := range allCurves {
		if c.OID.Equal(oid) {
			return c, true
		}
		for _, a := range c.aliases {
			if a.Equal(oid) {
				return c, true
			}
		}
	}
	return nil, false
}

func newCurve(name string, oid asn1.ObjectIdentifier, aliases []asn1.ObjectIdentifier, p, a, b, q, x, y string) *Curve {
	c := &Curve{Name: name, OID: oid, aliases: aliases,
		P: hexInt(p), A: hexInt(a), B: hexInt(b), Q: hexInt(q), X: hexInt(x), Y: hexInt(y)}
	c.fp, c.fq = newModulus(c.P), newModulus(c.Q)
	c.fp.setBig(&c.a, c.A)
	b3 := new(big.Int).Mul(c.B, big.NewInt(3))
	c.fp.setBig(&c.b3, b3.Mod(b3, c.P))
	return c
}

func hexInt(s string) *big.Int {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return new(big.Int).SetBytes(b)
}

// byteLen is the length of a coordinate, a scalar and a signature half.
const byteLen = 32

// onCurve reports whether (x, y) is a point of the curve: both coordinates in
// [0, p-1] and y^2 = x^3 + a*x + b mod p (RFC 5832 §5.2). Public data only.
func (c *Curve) onCurve(x, y *big.Int) bool {
	if x == nil || y == nil || x.Sign() < 0 || y.Sign() < 0 || x.Cmp(c.P) >= 0 || y.Cmp(c.P) >= 0 {
		return false
	}
	lhs := new(big.Int).Mul(y, y)
	lhs.Mod(lhs, c.P)
	rhs := new(big.Int).Mul(x, x)
	rhs.Add(rhs, c.A)
	rhs.Mul(rhs, x)
	rhs.Add(rhs, c.B)
	rhs.Mod(rhs, c.P)
	return lhs.Cmp(rhs) == 0
}

// point is a projective point (X:Y:Z), x = X/Z, y = Y/Z; the identity is
// (0:1:0). Coordinates are field elements in Montgomery form modulo p.
type point struct{ x, y, z elem }

func (c *Curve) newPoint() *point {
	return &point{y: c.fp.one} // the identity
}

func (c *Curve) affinePoint(x, y *big.Int) *point {
	p := &point{z: c.fp.one}
	c.fp.setBig(&p.x, x)
	c.fp.setBig(&p.y, y)
	return p
}

// selectIf sets p = q if on == 1 and leaves p unchanged if on == 0, touching
// every limb either way.
func (p *point) selectIf(q *point, on uint64) {
	p.x.selectIf(&q.x, on)
	p.y.selectIf(&q.y, on)
	p.z.selectIf(&q.z, on)
}

// scratch holds the temporaries of one addition.
type scratch struct{ t0, t1, t2, t3, t4, t5, x3, y3, z3 elem }

func (c *Curve) newScratch() *scratch { return new(scratch) }

// add sets r = p1 + p2 with the complete projective addition for short
// Weierstrass curves with arbitrary a: Renes, Costello, Batina, "Complete
// addition formulas for prime order elliptic curves" (2016), Algorithm 1.
// It has no exceptional cases (p1 = p2, either the identity, p1 = -p2), so it
// also doubles, and its running time does not depend on the points. r may
// alias p1 or p2: the inputs are all read before r is written.
func (c *Curve) add(r, p1, p2 *point, s *scratch) {
	f := c.fp
	X1, Y1, Z1 := &p1.x, &p1.y, &p1.z
	X2, Y2, Z2 := &p2.x, &p2.y, &p2.z
	t0, t1, t2, t3, t4, t5 := &s.t0, &s.t1, &s.t2, &s.t3, &s.t4, &s.t5
	X3, Y3, Z3 := &s.x3, &s.y3, &s.z3

	f.mul(t0, X1, X2)    // 1. t0 = X1*X2
	f.mul(t1, Y1, Y2)    // 2. t1 = Y1*Y2
	f.mul(t2, Z1, Z2)    // 3. t2 = Z1*Z2
	f.add(t3, X1, Y1)    // 4. t3 = X1+Y1
	f.add(t4, X2, Y2)    // 5. t4 = X2+Y2
	f.mul(t3, t3, t4)    // 6. t3 = t3*t4
	f.add(t4, t0, t1)    // 7. t4 = t0+t1
	f.sub(t3, t3, t4)    // 8. t3 = t3-t4
	f.add(t4, X1, Z1)    // 9. t4 = X1+Z1
	f.add(t5, X2, Z2)    // 10. t5 = X2+Z2
	f.mul(t4, t4, t5)    // 11. t4 = t4*t5
	f.add(t5, t0, t2)    // 12. t5 = t0+t2
	f.sub(t4, t4, t5)    // 13. t4 = t4-t5
	f.add(t5, Y1, Z1)    // 14. t5 = Y1+Z1
	f.add(X3, Y2, Z2)    // 15. X3 = Y2+Z2
	f.mul(t5, t5, X3)    // 16. t5 = t5*X3
	f.add(X3, t1, t2)    // 17. X3 = t1+t2
	f.sub(t5, t5, X3)    // 18. t5 = t5-X3
	f.mul(Z3, &c.a, t4)  // 19. Z3 = a*t4
	f.mul(X3, &c.b3, t2) // 20. X3 = b3*t2
	f.add(Z3, X3, Z3)    // 21. Z3 = X3+Z3
	f.sub(X3, t1, Z3)    // 22. X3 = t1-Z3
	f.add(Z3, t1, Z3)    // 23. Z3 = t1+Z3
	f.mul(Y3, X3, Z3)    // 24. Y3 = X3*Z3
	f.add(t1, t0, t0)    // 25. t1 = t0+t0
	f.add(t1, t1, t0)    // 26. t1 = t1+t0
	f.mul(t2, &c.a, t2)  // 27. t2 = a*t2
	f.mul(t4, &c.b3, t4) // 28. t4 = b3*t4
	f.add(t1, t1, t2)    // 29. t1 = t1+t2
	f.sub(t2, t0, t2)    // 30. t2 = t0-t2
	f.mul(t2, &c.a, t2)  // 31. t2 = a*t2
	f.add(t4, t4, t2)    // 32. t4 = t4+t2
	f.mul(t2, t1, t4)    // 33. t2 = t1*t4
	f.add(Y3, Y3, t2)    // 34. Y3 = Y3+t2
	f.mul(t2, t5, t4)    // 35. t2 = t5*t4
	f.mul(X3, X3, t3)    // 36. X3 = X3*t3
	f.sub(X3, X3, t2)    // 37. X3 = X3-t2
	f.mul(t2, t3, t1)    // 38. t2 = t3*t1
	f.mul(Z3, t5, Z3)    // 39. Z3 = t5*Z3
	f.add(Z3, Z3, t2)    // 40. Z3 = Z3+t2
	r.x, r.y, r.z = *X3, *Y3, *Z3
}

// ctEq returns 1 if x == y and 0 otherwise, without branches.
func ctEq(x, y uint64) uint64 {
	d := x ^ y
	return 1 ^ ((d | -d) >> 63)
}

// The base point's comb table: entry (i, j) is j * 16^i * G for the 64 nibble
// positions i of a 256-bit scalar and j in [0, 15]. k*G is then the sum of 64
// entries chosen by the nibbles of k: 64 complete additions and no doublings.
const (
	combWindows = byteLen * 2
	combEntries = 16
)

// base returns the comb table, entry (i, j) at i*combEntries + j, computed
// on first use. The base point is public, so building the table may branch.
func (c *Curve) base() []point {
	c.baseOnce.Do(func() {
		c.baseTable = make([]point, combWindows*combEntries)
		s := c.newScratch()
		step := c.affinePoint(c.X, c.Y) // 16^i * G
		acc := c.newPoint()
		for i := range combWindows {
			*acc = *c.newPoint()
			for j := range combEntries {
				c.baseTable[i*combEntries+j] = *acc
				c.add(acc, acc, step, s)
			}
			*step = *acc // 16 * 16^i * G
		}
	})
	return c.baseTable
}

// scalarBaseMult returns k*G for a scalar k (Montgomery form modulo q) in
// time independent of k: every nibble selects its table entry by a masked
// scan of all 16 (so the memory access pattern is fixed) and every addition
// is a complete one.
func (c *Curve) scalarBaseMult(k *elem) *point {
	table := c.base()
	var kn elem
	c.fq.fromMont(&kn, k)
	r := c.newPoint()
	var t point
	s := c.newScratch()
	for i := range combWindows {
		d := nibble(&kn, i)
		row := table[i*combEntries : (i+1)*combEntries]
		for j := range row {
			t.selectIf(&row[j], ctEq(d, uint64(j)))
		}
		c.add(r, r, &t, s)
	}
	return r
}

// nibble returns the i-th 4-bit digit, from the least significant, of the
// integer k. The limb and shift depend on i only.
func nibble(k *elem, i int) uint64 {
	return k[i/16] >> (4 * (i % 16)) & 15
}

// scalarMult returns k*p with a fixed 4-bit window: 252 doublings and 64
// additions of a table entry chosen by a masked scan. Used for the public
// key in verification; it is constant-time all the same.
func (c *Curve) scalarMult(p *point, k *elem) *point {
	var kn elem
	c.fq.fromMont(&kn, k)
	s := c.newScratch()
	var table [combEntries]point
	table[0] = *c.newPoint()
	for j := 1; j < combEntries; j++ {
		c.add(&table[j], &table[j-1], p, s)
	}
	r := c.newPoint()
	var t point
	for i := combWindows - 1; i >= 0; i-- {
		if i != combWindows-1 {
			for range 4 {
				c.add(r, r, r, s)
			}
		}
		d := nibble(&kn, i)
		for j := range table {
			t.selectIf(&table[j], ctEq(d, uint64(j)))
		}
		c.add(r, r, &t, s)
	}
	return r
}

// affineX returns x = X/Z mod p (Montgomery form), inverting Z by Fermat
// (Z^(p-2)) so the time does not depend on Z, and reports whether p is not
// the identity.
func (c *Curve) affineX(p *point) (elem, bool) {
	if p.z.IsZero() == 1 {
		return elem{}, false
	}
	var zInv, x elem
	c.fp.inv(&zInv, &p.z)
	c.fp.mul(&x, &p.x, &zInv)
	return x, true
}

// affine returns the affine coordinates of p as integers; false for the
// identity.
func (c *Curve) affine(p *point) (x, y *big.Int, ok bool) {
	if p.z.IsZero() == 1 {
		return nil, nil, false
	}
	var zInv, xa, ya elem
	c.fp.inv(&zInv, &p.z)
	c.fp.mul(&xa, &p.x, &zInv)
	c.fp.mul(&ya, &p.y, &zInv)
	return new(big.Int).SetBytes(c.fp.bytes(&xa)), new(big.Int).SetBytes(c.fp.bytes(&ya)), true
}
