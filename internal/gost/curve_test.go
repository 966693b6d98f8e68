package gost

import (
	"encoding/asn1"
	"math/big"
	"math/rand"
	"testing"
)

// refPoint is an affine point for the reference arithmetic below; inf marks
// the identity. It is the textbook chord-and-tangent law (RFC 5832 §5.2) in
// math/big, independent of the projective formulas under test.
type refPoint struct {
	x, y *big.Int
	inf  bool
}

func refAdd(c *Curve, p1, p2 refPoint) refPoint {
	if p1.inf {
		return p2
	}
	if p2.inf {
		return p1
	}
	p := c.P
	var lambda *big.Int
	if p1.x.Cmp(p2.x) == 0 {
		sum := new(big.Int).Add(p1.y, p2.y)
		if sum.Mod(sum, p).Sign() == 0 {
			return refPoint{inf: true} // p2 = -p1
		}
		num := new(big.Int).Mul(p1.x, p1.x)
		num.Mul(num, big.NewInt(3)).Add(num, c.A)
		den := new(big.Int).Lsh(p1.y, 1)
		lambda = num.Mul(num, den.ModInverse(den, p))
	} else {
		num := new(big.Int).Sub(p2.y, p1.y)
		den := new(big.Int).Sub(p2.x, p1.x)
		den.Mod(den, p)
		lambda = num.Mul(num, den.ModInverse(den, p))
	}
	lambda.Mod(lambda, p)
	x3 := new(big.Int).Mul(lambda, lambda)
	x3.Sub(x3, p1.x).Sub(x3, p2.x).Mod(x3, p)
	y3 := new(big.Int).Sub(p1.x, x3)
	y3.Mul(y3, lambda).Sub(y3, p1.y).Mod(y3, p)
	return refPoint{x: x3, y: y3}
}

func refMul(c *Curve, p refPoint, k *big.Int) refPoint {
	r := refPoint{inf: true}
	for i := k.BitLen() - 1; i >= 0; i-- {
		r = refAdd(c, r, r)
		if k.Bit(i) == 1 {
			r = refAdd(c, r, p)
		}
	}
	return r
}

func (c *Curve) refG() refPoint { return refPoint{x: c.X, y: c.Y} }

// TestCurveParameters checks each published parameter set against itself, so
// that a mistyped constant fails: G lies on the curve, q*G is the identity
// (computed by the independent reference), q is prime and lies within the
// Hasse bound of p, so #E = q and the curve has no point of order 2 (which the
// complete formulas require).
func TestCurveParameters(t *testing.T) {
	for _, c := range allCurves {
		t.Run(c.Name, func(t *testing.T) {
			if !c.onCurve(c.X, c.Y) {
				t.Fatalf("generator (%x, %x) is not on the curve", c.X, c.Y)
			}
			if r := refMul(c, c.refG(), c.Q); !r.inf {
				t.Fatalf("q*G = (%x, %x), want the identity", r.x, r.y)
			}
			if r := refMul(c, c.refG(), new(big.Int).Sub(c.Q, big.NewInt(1))); r.inf || r.x.Cmp(c.X) != 0 {
				t.Fatalf("(q-1)*G is not -G")
			}
			if !c.Q.ProbablyPrime(32) || !c.P.ProbablyPrime(32) {
				t.Fatalf("p or q is not prime")
			}
			// Hasse: |p + 1 - #E| <= 2*sqrt(p). With q*G = O, q | #E; as 2q is
			// beyond the bound, #E = q.
			d := new(big.Int).Add(c.P, big.NewInt(1))
			d.Sub(d, c.Q).Abs(d)
			bound := new(big.Int).Sqrt(c.P)
			bound.Lsh(bound, 1).Add(bound, big.NewInt(2))
			if d.Cmp(bound) > 0 {
				t.Fatalf("q outside the Hasse interval of p: #E != q")
			}
			if new(big.Int).Lsh(c.Q, 1).Cmp(new(big.Int).Add(new(big.Int).Add(c.P, big.NewInt(1)), bound)) <= 0 {
				t.Fatalf("2q within the Hasse interval: cofactor not proven 1")
			}
			if c.Q.BitLen() != 256 || c.P.BitLen() != 256 {
				t.Fatalf("p or q is not a 256-bit number")
			}
		})
	}
}

// TestCurveArithmetic compares the constant-time projective code with the
// reference: q*G is the identity through both scalar multiplications, and
// k*G, k*Q agree with the reference for random k.
func TestCurveArithmetic(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, c := range allCurves {
		t.Run(c.Name, func(t *testing.T) {
			s := c.newScratch()
			g := c.affinePoint(c.X, c.Y)
			qm1 := c.scalar(new(big.Int).Sub(c.Q, big.NewInt(1)))
			for name, p := range map[string]*point{"comb": c.scalarBaseMult(qm1), "window": c.scalarMult(g, qm1)} {
				c.add(p, p, g, s)
				if p.z.IsZero() != 1 {
					t.Errorf("%s: (q-1)*G + G is not the identity", name)
				}
			}
			// The identity is neutral and P + (-P) is the identity in the
			// complete formulas.
			id := c.newPoint()
			r := c.newPoint()
			c.add(r, id, g, s)
			if x, y, ok := c.affine(r); !ok || x.Cmp(c.X) != 0 || y.Cmp(c.Y) != 0 {
				t.Errorf("O + G != G")
			}
			c.add(r, id, id, s)
			if r.z.IsZero() != 1 {
				t.Errorf("O + O != O")
			}
			neg := c.affinePoint(c.X, new(big.Int).Sub(c.P, c.Y))
			c.add(r, g, neg, s)
			if r.z.IsZero() != 1 {
				t.Errorf("G + (-G) != O")
			}
			pub := refMul(c, c.refG(), big.NewInt(0xC0FFEE))
			pp := c.affinePoint(pub.x, pub.y)
			for range 8 {
				k := new(big.Int).Rand(rng, c.Q)
				want := refMul(c, c.refG(), k)
				x, y, ok := c.affine(c.scalarBaseMult(c.scalar(k)))
				if !ok || x.Cmp(want.x) != 0 || y.Cmp(want.y) != 0 {
					t.Fatalf("comb k*G differs from the reference for k = %x", k)
				}
				want = refMul(c, pub, k)
				x, y, ok = c.affine(c.scalarMult(pp, c.scalar(k)))
				if !ok || x.Cmp(want.x) != 0 || y.Cmp(want.y) != 0 {
					t.Fatalf("window k*Q differs from the reference for k = %x", k)
				}
			}
		})
	}
}

func TestCurveByOID(t *testing.T) {
	for _, tc := range []struct {
		oid  asn1.ObjectIdentifier
		want *Curve
	}{
		{asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 0}, CurveTest()},
		{asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 1}, CurveCryptoProA()},
		{asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 2}, CurveCryptoProB()},
		{asn1.ObjectIdentifier{1, 2, 643, 2, 2, 35, 3}, CurveCryptoProC()},
		{asn1.ObjectIdentifier{1, 2, 643, 2, 2, 36, 0}, CurveCryptoProA()},
		{asn1.ObjectIdentifier{1, 2, 643, 2, 2, 36, 1}, CurveCryptoProC()},
		{OIDKazakhCurveA, CurveCryptoProA()},
	} {
		got, ok := CurveByOID(tc.oid)
		if !ok || got != tc.want {
			t.Errorf("CurveByOID(%v) = %v, %v; want %s", tc.oid, got, ok, tc.want.Name)
		}
	}
	for _, oid := range []asn1.ObjectIdentifier{{1, 2, 643, 2, 2, 35, 4}, {1, 2, 398, 3, 10, 1, 1, 1, 1}, nil} {
		if c, ok := CurveByOID(oid); ok {
			t.Errorf("CurveByOID(%v) = %s, want not found", oid, c.Name)
		}
	}
}
