package jose_test

import (
	"bytes"
	"crypto/x509"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/jose"
	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/simulators/nca"
)

type parties struct {
	sender, gateway, stranger *pki.Identity
}

func setup(t testing.TB, k pki.KeyType) parties {
	t.Helper()
	ca, err := nca.New("Test NCA")
	if err != nil {
		t.Fatal(err)
	}
	var p parties
	for _, x := range []struct {
		id **pki.Identity
		cn string
	}{{&p.sender, "SENDER"}, {&p.gateway, "GATEWAY"}, {&p.stranger, "STRANGER"}} {
		if *x.id, err = ca.Issue(nca.Subject{CommonName: x.cn, BIN: "123456789012"}, k); err != nil {
			t.Fatal(err)
		}
	}
	return p
}

func seal(t testing.TB, p parties, payload string) string {
	t.Helper()
	s, err := jose.Seal([]byte(payload), p.sender.Key, []*x509.Certificate{p.sender.Certificate}, p.gateway.Certificate)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// flip changes one character of part i of a compact JOSE object.
func flip(compact string, part int) string {
	parts := strings.Split(compact, ".")
	b, _ := base64.RawURLEncoding.DecodeString(parts[part])
	b[len(b)/2] ^= 0x01
	parts[part] = base64.RawURLEncoding.EncodeToString(b)
	return strings.Join(parts, ".")
}

func TestOpen(t *testing.T) {
	for _, k := range []pki.KeyType{pki.ECDSAP256, pki.RSA2048} {
		p := setup(t, k)
		payload := `{"request":{"requestInfo":{}}}`
		sealed := seal(t, p, payload)
		jws, err := jose.Sign([]byte(payload), p.sender.Key, []*x509.Certificate{p.sender.Certificate})
		if err != nil {
			t.Fatal(err)
		}
		alteredJWS, err := jose.Encrypt([]byte(flip(jws, 1)), p.gateway.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		plainInside, err := jose.Encrypt([]byte(payload), p.gateway.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		forStranger, err := jose.Seal([]byte(payload), p.sender.Key, []*x509.Certificate{p.sender.Certificate}, p.stranger.Certificate)
		if err != nil {
			t.Fatal(err)
		}
		cases := []struct {
			name   string
			sealed string
			cert   *x509.Certificate
			want   jose.Problem
		}{
			{"sealed for the gateway", sealed, p.gateway.Certificate, ""},
			{"sealed for another certificate", forStranger, p.gateway.Certificate, jose.WrongKey},
			{"another key, recipient not named", forStranger, nil, jose.Undecryptable},
			{"ciphertext altered", flip(sealed, 3), p.gateway.Certificate, jose.Undecryptable},
			{"authentication tag altered", flip(sealed, 4), p.gateway.Certificate, jose.Undecryptable},
			{"encrypted key altered", flip(sealed, 1), p.gateway.Certificate, jose.Undecryptable},
			{"signed content altered before encryption", alteredJWS, p.gateway.Certificate, jose.Invalid},
			{"encrypted but not signed", plainInside, p.gateway.Certificate, jose.Unsigned},
			{"plain JSON", payload, p.gateway.Certificate, jose.NotSealed},
		}
		for _, c := range cases {
			t.Run(k.String()+"/"+c.name, func(t *testing.T) {
				o, err := jose.Open(c.sealed, p.gateway.Key, c.cert)
				if got := jose.ProblemOf(err); got != c.want {
					t.Fatalf("problem %q (%v), want %q", got, err, c.want)
				}
				if c.want == "" {
					if !bytes.Equal(o.Payload, []byte(payload)) || o.Signer.Subject.CommonName != "SENDER" {
						t.Fatalf("opened %q signed by %v", o.Payload, o.Signer.Subject)
					}
				}
			})
		}
	}
}

func BenchmarkOpen(b *testing.B) {
	p := setup(b, pki.ECDSAP256)
	sealed := seal(b, p, `{"request":{"requestInfo":{}}}`)
	b.ResetTimer()
	for b.Loop() {
		if _, err := jose.Open(sealed, p.gateway.Key, p.gateway.Certificate); err != nil {
			b.Fatal(err)
		}
	}
}
