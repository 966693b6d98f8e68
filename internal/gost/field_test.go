package gost

import (
	"bytes"
	"math/big"
	"math/rand/v2"
	"testing"
)

// The field arithmetic of field.go against math/big, on every curve's p and
// q and on further odd moduli that put the top bit, the top limbs and the
// carries elsewhere: 2^256-1 (the largest), 2^255+1 (just over 2^255),
// 2^255-19 (top bit clear), the P-192 prime (top limb zero), 2^127-1 and
// 65537 (several limbs zero). Inversion is checked where the modulus is prime.

type testModulus struct {
	name  string
	m     *big.Int
	f     *modulus
	rInv  *big.Int // 2^-256 mod m
	prime bool
}

func testModuli() []testModulus {
	var out []testModulus
	for _, c := range allCurves {
		out = append(out, testModulus{name: c.Name + " p", m: c.P, f: c.fp}, testModulus{name: c.Name + " q", m: c.Q, f: c.fq})
	}
	one := big.NewInt(1)
	pow := func(k uint) *big.Int { return new(big.Int).Lsh(one, k) }
	for _, x := range []struct {
		name string
		m    *big.Int
	}{
		{"2^256-1", new(big.Int).Sub(pow(256), one)},
		{"2^256-189", new(big.Int).Sub(pow(256), big.NewInt(189))},
		{"2^255+1", new(big.Int).Add(pow(255), one)},
		{"2^255-19", new(big.Int).Sub(pow(255), big.NewInt(19))},
		{"2^192-2^64-1", new(big.Int).Sub(new(big.Int).Sub(pow(192), pow(64)), one)},
		{"2^127-1", new(big.Int).Sub(pow(127), one)},
		{"65537", big.NewInt(65537)},
	} {
		out = append(out, testModulus{name: x.name, m: x.m, f: newModulus(x.m)})
	}
	for i := range out {
		out[i].rInv = new(big.Int).ModInverse(new(big.Int).Lsh(one, 256), out[i].m)
		out[i].prime = out[i].m.ProbablyPrime(16)
	}
	return out
}

// refLimbs and refInt convert between integers and limbs independently of
// field.go.
func refLimbs(v *big.Int) elem {
	var e elem
	for i := range e {
		e[i] = new(big.Int).Rsh(v, uint(64*i)).Uint64()
	}
	return e
}

func refInt(e elem) *big.Int {
	v := new(big.Int)
	for i := 3; i >= 0; i-- {
		v.Lsh(v, 64).Or(v, new(big.Int).SetUint64(e[i]))
	}
	return v
}

// edgeValues are integers below m that sit on limb and carry boundaries:
// 0, 1, m-1, m/2, 2^k and 2^k +- 1 at every limb edge and at 255, m - 2^k,
// and every pattern of all-ones and all-zeros limbs (reduced mod m).
func edgeValues(m *big.Int) []*big.Int {
	one := big.NewInt(1)
	var out []*big.Int
	add := func(v *big.Int) {
		if v.Sign() >= 0 && v.Cmp(m) < 0 {
			out = append(out, v)
		}
	}
	half := new(big.Int).Rsh(m, 1)
	for _, v := range []*big.Int{big.NewInt(0), one, big.NewInt(2), big.NewInt(3), half, new(big.Int).Add(half, one)} {
		add(v)
		w := new(big.Int).Sub(m, v)
		add(w.Sub(w, one)) // m-1-v
	}
	for _, k := range []uint{63, 64, 65, 127, 128, 129, 191, 192, 193, 254, 255} {
		p := new(big.Int).Lsh(one, k)
		add(new(big.Int).Sub(p, one))
		add(p)
		add(new(big.Int).Add(p, one))
		add(new(big.Int).Sub(m, p))
	}
	for pattern := range 16 {
		var e elem
		for i := range e {
			if pattern>>i&1 == 1 {
				e[i] = ^uint64(0)
			}
		}
		add(new(big.Int).Mod(refInt(e), m))
	}
	return out
}

// over returns integers in [m, 2^256) (where there are any) that setBytes and
// toMont must reduce: m, m+1, 2m-1, 2^256-1, and all-ones limb patterns.
func over(m *big.Int) []*big.Int {
	top := new(big.Int).Lsh(big.NewInt(1), 256)
	var out []*big.Int
	for _, v := range []*big.Int{
		new(big.Int).Set(m), new(big.Int).Add(m, big.NewInt(1)),
		new(big.Int).Sub(new(big.Int).Lsh(m, 1), big.NewInt(1)),
		new(big.Int).Sub(top, big.NewInt(1)),
		refInt(elem{^uint64(0), 0, ^uint64(0), 0}), refInt(elem{0, ^uint64(0), 0, ^uint64(0)}),
	} {
		if v.Cmp(m) >= 0 && v.Cmp(top) < 0 {
			out = append(out, v)
		}
	}
	return out
}

func TestModulusConstants(t *testing.T) {
	r := new(big.Int).Lsh(big.NewInt(1), 256)
	for i, tm := range testModuli() {
		f := tm.f
		if i < 2*len(allCurves) && !tm.prime {
			t.Errorf("%s: not prime, so its inversion would go untested", tm.name)
		}
		if f.m[0]*f.mInv != ^uint64(0) {
			t.Errorf("%s: m0*m' = %x, want -1 mod 2^64", tm.name, f.m[0]*f.mInv)
		}
		if refInt(f.m).Cmp(tm.m) != 0 {
			t.Errorf("%s: limbs of m are %x", tm.name, f.m)
		}
		if refInt(f.one).Cmp(new(big.Int).Mod(r, tm.m)) != 0 {
			t.Errorf("%s: one is not R mod m", tm.name)
		}
		if refInt(f.r2).Cmp(new(big.Int).Mod(new(big.Int).Mul(r, r), tm.m)) != 0 {
			t.Errorf("%s: r2 is not R^2 mod m", tm.name)
		}
	}
}

// checkOne checks the conversions, byte encodings, IsZero and (for prime m)
// the inverse of one integer x < m.
func checkOne(t *testing.T, tm testModulus, x *big.Int) {
	t.Helper()
	f, m := tm.f, tm.m
	r := new(big.Int).Lsh(big.NewInt(1), 256)
	xl := refLimbs(x)
	var xm, back elem
	f.toMont(&xm, &xl)
	if want := new(big.Int).Mod(new(big.Int).Mul(x, r), m); refInt(xm).Cmp(want) != 0 {
		t.Fatalf("%s: toMont(%x) = %x, want %x", tm.name, x, refInt(xm), want)
	}
	f.fromMont(&back, &xm)
	if refInt(back).Cmp(x) != 0 {
		t.Fatalf("%s: fromMont(toMont(%x)) = %x", tm.name, x, refInt(back))
	}
	be := x.FillBytes(make([]byte, 32))
	if got := f.bytes(&xm); !bytes.Equal(got, be) {
		t.Fatalf("%s: bytes(%x) = %x", tm.name, x, got)
	}
	var fromBytes elem
	if ok := f.setBytes(&fromBytes, be); ok != 1 || fromBytes != xm {
		t.Fatalf("%s: setBytes(%x) = %x, %d; want %x, 1", tm.name, x, refInt(fromBytes), ok, refInt(xm))
	}
	var fromBig elem
	if f.setBig(&fromBig, x); fromBig != xm {
		t.Fatalf("%s: setBig(%x) differs from toMont", tm.name, x)
	}
	if xm.IsZero() != boolBit(x.Sign() == 0) {
		t.Fatalf("%s: IsZero(%x) = %d", tm.name, x, xm.IsZero())
	}
	if !tm.prime {
		return
	}
	var inv elem
	f.inv(&inv, &xm)
	f.fromMont(&inv, &inv)
	want := new(big.Int).ModInverse(x, m)
	if want == nil {
		want = new(big.Int) // 0 has no inverse; Fermat gives 0
	}
	if refInt(inv).Cmp(want) != 0 {
		t.Fatalf("%s: inv(%x) = %x, want %x", tm.name, x, refInt(inv), want)
	}
}

// checkPair checks add, sub, mul and square of x, y < m, in Montgomery form
// and, for mul, also on plain integers (x*y*R^-1 mod m), with the result
// aliasing an operand as the curve code does.
func checkPair(t *testing.T, tm testModulus, x, y *big.Int) {
	t.Helper()
	f, m := tm.f, tm.m
	xl, yl := refLimbs(x), refLimbs(y)
	var xm, ym elem
	f.toMont(&xm, &xl)
	f.toMont(&ym, &yl)
	for _, op := range []struct {
		name string
		run  func(z, a, b *elem)
		want *big.Int
	}{
		{"add", f.add, new(big.Int).Add(x, y)},
		{"sub", f.sub, new(big.Int).Sub(x, y)},
		{"mul", f.mul, new(big.Int).Mul(x, y)},
		{"square", func(z, a, _ *elem) { f.square(z, a) }, new(big.Int).Mul(x, x)},
	} {
		want := op.want.Mod(op.want, m)
		for _, alias := range []string{"none", "z=x", "z=y"} {
			a, b := xm, ym
			var z elem
			switch alias {
			case "none":
				op.run(&z, &a, &b)
			case "z=x":
				op.run(&a, &a, &b)
				z = a
			case "z=y":
				op.run(&b, &a, &b)
				z = b
			}
			var got elem
			f.fromMont(&got, &z)
			if refInt(got).Cmp(want) != 0 || refInt(z).Cmp(m) >= 0 {
				t.Fatalf("%s: %s(%x, %x) [%s] = %x (Montgomery %x), want %x", tm.name, op.name, x, y, alias, refInt(got), refInt(z), want)
			}
		}
	}
	var z elem
	f.mul(&z, &xl, &yl)
	want := new(big.Int).Mul(x, y)
	want.Mul(want, tm.rInv).Mod(want, m)
	if refInt(z).Cmp(want) != 0 {
		t.Fatalf("%s: mul(%x, %x) = %x, want x*y/R mod m = %x", tm.name, x, y, refInt(z), want)
	}
	if xm.equal(&ym) != boolBit(x.Cmp(y) == 0) {
		t.Fatalf("%s: equal(%x, %x) = %d", tm.name, x, y, xm.equal(&ym))
	}
	for on := range uint64(2) {
		s := xm
		s.selectIf(&ym, on)
		if want := [2]elem{xm, ym}[on]; s != want {
			t.Fatalf("%s: selectIf(%d) = %x", tm.name, on, s)
		}
	}
}

// checkOver checks that setBytes and toMont reduce an integer m <= a < 2^256
// and that setBytes reports it out of range; also mul with such a second
// operand, which toMont relies on.
func checkOver(t *testing.T, tm testModulus, a, x *big.Int) {
	t.Helper()
	f, m := tm.f, tm.m
	r := new(big.Int).Lsh(big.NewInt(1), 256)
	var got elem
	if ok := f.setBytes(&got, a.FillBytes(make([]byte, 32))); ok != 0 {
		t.Fatalf("%s: setBytes(%x) reports it below m", tm.name, a)
	}
	if want := new(big.Int).Mod(new(big.Int).Mul(a, r), m); refInt(got).Cmp(want) != 0 {
		t.Fatalf("%s: setBytes(%x) = %x, want %x", tm.name, a, refInt(got), want)
	}
	xl, al := refLimbs(x), refLimbs(a)
	f.mul(&got, &xl, &al)
	want := new(big.Int).Mul(x, a)
	want.Mul(want, tm.rInv).Mod(want, m)
	if refInt(got).Cmp(want) != 0 {
		t.Fatalf("%s: mul(%x, %x) = %x, want %x", tm.name, x, a, refInt(got), want)
	}
}

func boolBit(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// randomValue returns x < m: uniform, or with each limb independently
// uniform, all ones or zero, to reach carries that uniform values rarely do.
func randomValue(rng *rand.Rand, m *big.Int) *big.Int {
	if rng.IntN(2) == 0 {
		var e elem
		for i := range e {
			switch rng.IntN(3) {
			case 0:
				e[i] = rng.Uint64()
			case 1:
				e[i] = ^uint64(0)
			}
		}
		return new(big.Int).Mod(refInt(e), m)
	}
	b := make([]byte, 40)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return new(big.Int).Mod(new(big.Int).SetBytes(b), m)
}

func TestFieldAgainstBig(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, tm := range testModuli() {
		t.Run(tm.name, func(t *testing.T) {
			edges := edgeValues(tm.m)
			for _, x := range edges {
				checkOne(t, tm, x)
				for _, y := range edges {
					checkPair(t, tm, x, y)
				}
				for _, a := range over(tm.m) {
					checkOver(t, tm, a, x)
				}
			}
			for range 300 {
				x, y := randomValue(rng, tm.m), randomValue(rng, tm.m)
				checkOne(t, tm, x)
				checkPair(t, tm, x, y)
				a := new(big.Int).SetUint64(rng.Uint64())
				for range 3 {
					a.Lsh(a, 64).Or(a, new(big.Int).SetUint64(rng.Uint64()))
				}
				if a.Cmp(tm.m) >= 0 {
					checkOver(t, tm, a, x)
				}
			}
		})
	}
}

// FuzzField: two fuzzed 256-bit integers and a modulus; setBytes reduces
// them and every operation agrees with math/big.
func FuzzField(f *testing.F) {
	f.Add([]byte{1}, []byte{2}, uint8(0))
	f.Add(bytes.Repeat([]byte{0xff}, 32), bytes.Repeat([]byte{0xff}, 32), uint8(5))
	f.Add(bytes.Repeat([]byte{0x80}, 32), []byte{}, uint8(8))
	moduli := testModuli()
	f.Fuzz(func(t *testing.T, xb, yb []byte, sel uint8) {
		tm := moduli[int(sel)%len(moduli)]
		raw := func(b []byte) *big.Int {
			if len(b) > 32 {
				b = b[:32]
			}
			return new(big.Int).SetBytes(b)
		}
		a, b := raw(xb), raw(yb)
		x, y := new(big.Int).Mod(a, tm.m), new(big.Int).Mod(b, tm.m)
		checkOne(t, tm, x)
		checkPair(t, tm, x, y)
		for _, v := range []*big.Int{a, b} {
			if v.Cmp(tm.m) >= 0 {
				checkOver(t, tm, v, x)
			}
		}
	})
}
