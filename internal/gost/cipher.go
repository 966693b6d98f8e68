package gost

import (
	"math/bits"
	"sync"
)

// SBox is a GOST 28147-89 substitution box, written as the RFCs print it:
// row i is K(i+1), the 4-bit substitution applied to bits 4i..4i+3 of the
// 32-bit round input (RFC 5830 §5.1, K1 on the least significant nibble).
type SBox [8][16]byte

// sboxTables is an SBox expanded into four byte-indexed tables that already
// include the 11-bit left rotation of the round function (RFC 5830 §6.1), so
// a round costs four lookups: f(x) = k87[x>>24] ^ k65[x>>16] ^ k43[x>>8] ^ k21[x].
type sboxTables struct {
	k87, k65, k43, k21 [256]uint32
}

// expanded caches the tables by S-box value, so each parameter set is
// expanded once per process however many hashes are created.
var expanded sync.Map // SBox -> *sboxTables

func (s *SBox) tables() *sboxTables {
	if t, ok := expanded.Load(*s); ok {
		return t.(*sboxTables)
	}
	t := new(sboxTables)
	for i := range 256 {
		lo, hi := i&15, i>>4
		t.k87[i] = bits.RotateLeft32(uint32(s[7][hi]<<4|s[6][lo])<<24, 11)
		t.k65[i] = bits.RotateLeft32(uint32(s[5][hi]<<4|s[4][lo])<<16, 11)
		t.k43[i] = bits.RotateLeft32(uint32(s[3][hi]<<4|s[2][lo])<<8, 11)
		t.k21[i] = bits.RotateLeft32(uint32(s[1][hi]<<4|s[0][lo]), 11)
	}
	actual, _ := expanded.LoadOrStore(*s, t)
	return actual.(*sboxTables)
}

// f is the round function of RFC 5830 §6.1 applied to x = N1 + K (mod 2^32):
// substitution through K1..K8, then rotation left by 11 bits.
func (t *sboxTables) f(x uint32) uint32 {
	return t.k87[x>>24] ^ t.k65[x>>16&0xff] ^ t.k43[x>>8&0xff] ^ t.k21[x&0xff]
}

// order is the subkey schedule of RFC 5831 §6.1 / RFC 5830 §6.1 for
// encryption: K1..K8 three times, then K8..K1 (indexes into the subkeys).
var order = [32]uint8{
	0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7,
	0, 1, 2, 3, 4, 5, 6, 7,
	7, 6, 5, 4, 3, 2, 1, 0,
}

// encrypt4 is the GOST 28147-89 electronic-codebook encryption (RFC 5830
// §6.1) of the four 64-bit words of h, word j under the key k[j]: exactly
// the s_j = E_Kj(h_j) of the hash's step (RFC 5831 §6.2), the only use of
// the cipher here. A word is the integer N2·2^32 + N1; a key is its eight
// 32-bit subkeys K1..K8 (K1 the least significant 32 bits of the 256-bit
// key). Round r computes N2 ^= f(N1 + K), then the halves swap, except after
// the last round; the code alternates the roles of the halves instead of
// swapping. The four encryptions are independent and run interleaved, so
// the processor overlaps their table lookups.
func (t *sboxTables) encrypt4(k *[4][8]uint32, h *block) block {
	a1, a2 := uint32(h[0]), uint32(h[0]>>32)
	b1, b2 := uint32(h[1]), uint32(h[1]>>32)
	c1, c2 := uint32(h[2]), uint32(h[2]>>32)
	d1, d2 := uint32(h[3]), uint32(h[3]>>32)
	ka, kb, kc, kd := &k[0], &k[1], &k[2], &k[3]
	for r := 0; r < 32; r += 2 {
		i, j := order[r]&7, order[r+1]&7
		a2 ^= t.f(a1 + ka[i])
		b2 ^= t.f(b1 + kb[i])
		c2 ^= t.f(c1 + kc[i])
		d2 ^= t.f(d1 + kd[i])
		a1 ^= t.f(a2 + ka[j])
		b1 ^= t.f(b2 + kb[j])
		c1 ^= t.f(c2 + kc[j])
		d1 ^= t.f(d2 + kd[j])
	}
	// After an even number of alternating rounds the halves stand swapped
	// relative to RFC 5830's output (N1, N2); undo it.
	return block{
		uint64(a1)<<32 | uint64(a2),
		uint64(b1)<<32 | uint64(b2),
		uint64(c1)<<32 | uint64(c2),
		uint64(d1)<<32 | uint64(d2),
	}
}
