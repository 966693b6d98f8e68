package gost

import (
	"math/bits"
	"math/rand/v2"
	"testing"
)

// The worked example of RFC 5831 §7.3.1 (test parameter set, H0 = 0,
// M = "This is message, length=32 bytes"): the four 28147-89 keys of the
// first step and the encryptions S_i = E_Ki(0) of the four zero parts of H.
// The RFC prints each value as an integer, most significant part left; here
// keys are K1..K8 subkeys (K1 least significant) and blocks are N2, N1.
var rfc5831Step1 = []struct {
	key    [8]uint32
	n2, n1 uint32
}{
	{[8]uint32{0x33206D54, 0x326C6568, 0x20657369, 0x626E7373, 0x79676120, 0x74746769, 0x65686573, 0x733D2C20}, 0x42ABBCCE, 0x32BC0B1B},
	{[8]uint32{0x4D393320, 0x090D326C, 0x161A2065, 0x1D00626E, 0x06417967, 0x130E7474, 0x0D166568, 0x110C733D}, 0x5203EBC8, 0x5D9BCFFD},
	{[8]uint32{0xF513B239, 0x3FA109F2, 0x3ABAE91A, 0x620C1DFF, 0xC7E1F941, 0x850013F1, 0x730DF216, 0x80B111F3}, 0x8D345899, 0x00FF0E28},
	{[8]uint32{0xA18B0AEC, 0xA804C05E, 0xAC0CC5BA, 0xEE1D620C, 0xE7B8C7E1, 0xECE27A00, 0xFF1B73F2, 0xA0E2804E}, 0xE7860419, 0x0D2A562D},
}

// TestEncryptRFC5831 is the 28147-89 known answer: the block function with
// the test S-box against RFC 5831 §7.3.1. No published 28147-89 answer for
// the CryptoPro hash S-box was found; that table is covered by the hash
// vectors of SBoxCryptoPro.
func TestEncryptRFC5831(t *testing.T) {
	var k [4][8]uint32
	for i, v := range rfc5831Step1 {
		k[i] = v.key
	}
	s := SBoxTest.tables().encrypt4(&k, &block{})
	for i, v := range rfc5831Step1 {
		if want := uint64(v.n2)<<32 | uint64(v.n1); s[i] != want {
			t.Errorf("E_K%d(0) = %016X, RFC 5831 §7.3.1 says %016X", i+1, s[i], want)
		}
	}
	// The four encryptions are independent: a key moved to another lane
	// gives the same block there.
	k[0], k[3] = k[3], k[0]
	r := SBoxTest.tables().encrypt4(&k, &block{})
	if r[0] != s[3] || r[3] != s[0] || r[1] != s[1] || r[2] != s[2] {
		t.Errorf("swapping keys 1 and 4 gives %016X, want %016X", r, block{s[3], s[1], s[2], s[0]})
	}
}

// TestKeysRFC5831 checks the key generation (A, P, C3) against the keys
// K1..K4 of the same example.
func TestKeysRFC5831(t *testing.T) {
	var m [32]byte
	copy(m[:], "This is message, length=32 bytes")
	h, mb := block{}, load(m[:])
	k := keys(&h, &mb)
	for i, v := range rfc5831Step1 {
		if k[i] != v.key {
			t.Errorf("K%d = %08X, RFC 5831 §7.3.1 says %08X", i+1, k[i], v.key)
		}
	}
}

// TestTablesMatchSBox checks the four combined tables against the round
// function computed nibble by nibble (RFC 5830 §6.1), for both S-boxes.
func TestTablesMatchSBox(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, s := range []*SBox{SBoxTest, SBoxCryptoPro} {
		tb := s.tables()
		for range 10000 {
			x := r.Uint32()
			var y uint32
			for i := range 8 {
				y |= uint32(s[i][x>>(4*i)&15]) << (4 * i)
			}
			if want := bits.RotateLeft32(y, 11); tb.f(x) != want {
				t.Fatalf("f(%08X) = %08X, want %08X", x, tb.f(x), want)
			}
		}
		if s.tables() != tb {
			t.Error("S-box tables expanded twice for the same S-box")
		}
	}
}
