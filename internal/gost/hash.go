package gost

import (
	"encoding/binary"
	"hash"
	"math/bits"
)

// Size is the length of a GOST R 34.11-94 digest in bytes.
const Size = 32

// BlockSize is the length of a GOST R 34.11-94 message block in bytes.
const BlockSize = 32

// SBoxTest is id-GostR3411-94-TestParamSet (1.2.643.2.2.30.0): the
// substitution box of the examples in RFC 5831 §7.1 (RFC 4357 §11.2).
// The Kazakh national CA's hash parameters 1.2.398.3.10.1.3.1.1.0 are this
// set: it reproduces the DigestValue of the NCA-signed sample envelopes
// (TestRealSampleDigests), the CryptoPro set does not.
var SBoxTest = &SBox{
	{4, 10, 9, 2, 13, 8, 0, 14, 6, 11, 1, 12, 7, 15, 5, 3},
	{14, 11, 4, 12, 6, 13, 15, 10, 2, 3, 8, 1, 0, 7, 5, 9},
	{5, 8, 1, 13, 10, 3, 4, 2, 14, 15, 12, 7, 6, 0, 9, 11},
	{7, 13, 10, 1, 0, 8, 9, 15, 14, 4, 6, 12, 11, 2, 5, 3},
	{6, 12, 7, 1, 5, 15, 13, 8, 4, 10, 9, 14, 0, 3, 11, 2},
	{4, 11, 10, 0, 7, 2, 1, 13, 3, 6, 8, 5, 9, 12, 15, 14},
	{13, 11, 4, 1, 3, 15, 5, 9, 0, 10, 14, 7, 6, 8, 2, 12},
	{1, 15, 13, 0, 5, 7, 10, 4, 9, 2, 3, 14, 6, 11, 8, 12},
}

// SBoxCryptoPro is id-GostR3411-94-CryptoProParamSet (1.2.643.2.2.30.1),
// RFC 4357 §11.2.
var SBoxCryptoPro = &SBox{
	{10, 4, 5, 6, 8, 1, 3, 7, 13, 12, 14, 0, 9, 2, 11, 15},
	{5, 15, 4, 0, 2, 13, 11, 9, 1, 7, 6, 3, 12, 14, 10, 8},
	{7, 15, 12, 14, 9, 4, 1, 0, 3, 11, 5, 2, 6, 10, 8, 13},
	{4, 10, 7, 12, 0, 15, 2, 8, 14, 1, 6, 5, 13, 11, 9, 3},
	{7, 6, 4, 11, 9, 12, 2, 10, 1, 8, 0, 14, 15, 13, 3, 5},
	{7, 6, 2, 4, 13, 9, 15, 0, 10, 1, 5, 11, 8, 14, 12, 3},
	{13, 14, 4, 1, 7, 0, 5, 10, 3, 12, 8, 15, 6, 2, 9, 11},
	{1, 3, 10, 9, 5, 11, 4, 15, 8, 6, 7, 14, 13, 0, 2, 12},
}

// A 256-bit block is held as four 64-bit words, least significant first:
// word i is bytes 8i..8i+7 of the block, little-endian. That is the order
// of RFC 5831, where the first message byte is the least significant one
// (y1 of Y = y4||y3||y2||y1 is bytes 0..7).
type block [4]uint64

// c3 is the constant C3 of RFC 5831 §6.1 (C2 = C4 = 0):
// 0xff00ffff000000ffff0000ff00ffff0000ff00ff00ff00ffff00ff00ff00ff00.
var c3 = block{0xff00ff00ff00ff00, 0x00ff00ff00ff00ff, 0xff0000ff00ffff00, 0xff00ffff000000ff}

// digest is the running state of GOST R 34.11-94 (RFC 5831 §7):
// the chaining value H, the checksum Σ (sum of the blocks mod 2^256) and
// the message length; buf holds a partial block.
type digest struct {
	t   *sboxTables
	h   block
	sum block
	n   uint64 // bytes written
	buf [BlockSize]byte
	nb  int
}

// NewHash returns a GOST R 34.11-94 hash with the given substitution box
// and the zero starting value H0 (RFC 4357 §11.2 parameter sets fix H0 = 0).
func NewHash(s *SBox) hash.Hash {
	return &digest{t: s.tables()}
}

// New returns GOST R 34.11-94 with the parameter set of the Kazakh national
// CA (1.2.398.3.10.1.3.1.1.0 = SBoxTest), the digest of the XMLDSig
// algorithm http://www.w3.org/2001/04/xmldsig-more#gost34311 in SHEP.
func New() hash.Hash { return NewHash(SBoxTest) }

// Sum returns the New() digest of data.
func Sum(data []byte) [Size]byte {
	d := digest{t: SBoxTest.tables()}
	d.Write(data)
	var out [Size]byte
	d.sumTo(&out)
	return out
}

func (d *digest) Size() int      { return Size }
func (d *digest) BlockSize() int { return BlockSize }

func (d *digest) Reset() {
	*d = digest{t: d.t}
}

func (d *digest) Write(p []byte) (int, error) {
	n := len(p)
	d.n += uint64(n)
	if d.nb > 0 {
		c := copy(d.buf[d.nb:], p)
		d.nb += c
		p = p[c:]
		if d.nb < BlockSize {
			return n, nil
		}
		d.absorb(d.buf[:])
		d.nb = 0
	}
	for len(p) >= BlockSize {
		d.absorb(p[:BlockSize])
		p = p[BlockSize:]
	}
	d.nb = copy(d.buf[:], p)
	return n, nil
}

// absorb processes one full message block: Σ += M, H = χ(M, H).
func (d *digest) absorb(p []byte) {
	m := load(p)
	d.sum.add(&m)
	d.h = d.t.step(&d.h, &m)
}

func (d *digest) Sum(b []byte) []byte {
	dd := *d
	var out [Size]byte
	dd.sumTo(&out)
	return append(b, out[:]...)
}

// sumTo finishes the hash (RFC 5831 §7, stage 3) and writes H.
//
// A last partial block is padded with zero bytes after the message (zero
// high-order bits, M' = 0^(256-|M|)||M) and processed like any other; then
// come χ(L) and χ(Σ). An empty message has no last block and none is
// processed: that is what OpenSSL's gost engine does and what the published
// vectors for "" assume; a literal reading of the standard hashes one zero
// block first and gives a different digest for "" only.
//
// The output is H as the algorithm computes it, least significant byte
// first. RFC 5831 §7.3 prints H as an integer, most significant byte left,
// so these bytes are the printed number reversed; they are what OpenSSL's
// md_gost94 outputs and what the Kazakh NCA's XMLDSig DigestValue carries.
func (d *digest) sumTo(out *[Size]byte) {
	if d.nb > 0 {
		clear(d.buf[d.nb:])
		d.absorb(d.buf[:])
		d.nb = 0
	}
	// L is the message length in bits, a 256-bit integer.
	l := block{d.n << 3, d.n >> 61, 0, 0}
	d.h = d.t.step(&d.h, &l)
	d.h = d.t.step(&d.h, &d.sum)
	for i, w := range d.h {
		binary.LittleEndian.PutUint64(out[8*i:], w)
	}
}

func load(p []byte) block {
	_ = p[31]
	return block{
		binary.LittleEndian.Uint64(p[0:]),
		binary.LittleEndian.Uint64(p[8:]),
		binary.LittleEndian.Uint64(p[16:]),
		binary.LittleEndian.Uint64(p[24:]),
	}
}

// add sets b = b + m mod 2^256 (the checksum Σ of RFC 5831 §7).
func (b *block) add(m *block) {
	var c uint64
	b[0], c = bits.Add64(b[0], m[0], 0)
	b[1], c = bits.Add64(b[1], m[1], c)
	b[2], c = bits.Add64(b[2], m[2], c)
	b[3], _ = bits.Add64(b[3], m[3], c)
}

// a is the transform A of RFC 5831 §6.1:
// A(y4||y3||y2||y1) = (y1 xor y2)||y4||y3||y2.
func (b block) a() block {
	return block{b[1], b[2], b[3], b[0] ^ b[1]}
}

// key is the transform P of RFC 5831 §6.1 applied to W, giving the 28147-89
// key as eight 32-bit subkeys. P moves byte φ(i+1+4(k-1)) = 8i+k of W to
// position i+1+4(k-1), so byte j of subkey k-1 is byte k-1 of word j of W.
func (w *block) key() [8]uint32 {
	var k [8]uint32
	for i := range 8 {
		s := 8 * uint(i)
		k[i] = uint32(byte(w[0]>>s)) |
			uint32(byte(w[1]>>s))<<8 |
			uint32(byte(w[2]>>s))<<16 |
			uint32(byte(w[3]>>s))<<24
	}
	return k
}

// keys is the key generation of RFC 5831 §6.1: K1 = P(H xor M) and, for
// j = 2..4, U = A(U) xor Cj, V = A(A(V)), Kj = P(U xor V).
func keys(h, m *block) (k [4][8]uint32) {
	u, v := *h, *m
	for j := range 4 {
		if j > 0 {
			u = u.a()
			if j == 2 { // C3; C2 and C4 are zero
				u[0] ^= c3[0]
				u[1] ^= c3[1]
				u[2] ^= c3[2]
				u[3] ^= c3[3]
			}
			v = v.a().a()
		}
		w := block{u[0] ^ v[0], u[1] ^ v[1], u[2] ^ v[2], u[3] ^ v[3]}
		k[j] = w.key()
	}
	return k
}

// step is the step function χ(M, H) of RFC 5831 §6: key generation
// (§6.1), encryption of the four 64-bit parts of H (§6.2) and the mixing
// transform H' = ψ^61(H xor ψ(M xor ψ^12(S))) (§6.3).
func (t *sboxTables) step(h, m *block) block {
	k := keys(h, m)
	s := t.encrypt4(&k, h)
	return mix(&s, m, h)
}

// mix computes ψ^61(H xor ψ(M xor ψ^12(S))) (RFC 5831 §6.3). The words
// are kept in scalars so that they stay in registers.
func mix(s, m, h *block) block {
	y0, y1, y2, y3 := s[0], s[1], s[2], s[3]
	for range 3 {
		y0, y1, y2, y3 = psi4(y0, y1, y2, y3)
	}
	y0, y1, y2, y3 = psi(y0^m[0], y1^m[1], y2^m[2], y3^m[3])
	y0, y1, y2, y3 = y0^h[0], y1^h[1], y2^h[2], y3^h[3]
	for range 15 {
		y0, y1, y2, y3 = psi4(y0, y1, y2, y3)
	}
	y0, y1, y2, y3 = psi(y0, y1, y2, y3)
	return block{y0, y1, y2, y3}
}

// ψ (RFC 5831 §6.3) sees a block as sixteen 16-bit words η16||…||η1 (η1 is
// bits 0..15 of word 0, η5 bits 0..15 of word 1) and returns
// (η1^η2^η3^η4^η13^η16)||η16||…||η2: a shift register over 16-bit words.

// psi is ψ once.
func psi(b0, b1, b2, b3 uint64) (uint64, uint64, uint64, uint64) {
	top := (b0 ^ b0>>16 ^ b0>>32 ^ b0>>48 ^ b3 ^ b3>>48) & 0xffff
	return b0>>16 | b1<<48, b1>>16 | b2<<48, b2>>16 | b3<<48, b3>>16 | top<<48
}

// psi4 is ψ four times, producing a whole new 64-bit word at once. New word
// i (i = 0..3) is t_i ^ (new word i-1), with t_i = η(1+i)^η(2+i)^η(3+i)^
// η(4+i)^η(13+i) and new word -1 = η16; the chain is a prefix xor of the
// lanes of t plus η16 in every lane.
func psi4(b0, b1, b2, b3 uint64) (uint64, uint64, uint64, uint64) {
	t := b0 ^ (b0>>16 | b1<<48) ^ (b0>>32 | b1<<32) ^ (b0>>48 | b1<<16) ^ b3
	t ^= t << 16
	t ^= t << 32
	t ^= (b3 >> 48) * 0x0001000100010001
	return b1, b2, b3, t
}
