package gost

import "math/big"

// VerifyRS exposes RFC 5832 §6.2 on integers, for the test that searches the
// real samples' signature encoding.
func VerifyRS(pub *PublicKey, alpha, r, s *big.Int) bool { return verifyRS(pub, alpha, r, s) }
