package xsig_test

import (
	"crypto/x509"
	"encoding/base64"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shepconf/shepconf/internal/pki"
	"github.com/shepconf/shepconf/internal/xsig"
)

// keyInfoOf is the ds:KeyInfo element of a signed message.
var keyInfoOf = regexp.MustCompile(`(?s)<ds:KeyInfo>.*</ds:KeyInfo>`)

// withKeyInfo replaces the KeyInfo of a signed message; KeyInfo is not signed, so the signature stays valid.
func withKeyInfo(doc []byte, keyInfo string) []byte {
	return keyInfoOf.ReplaceAll(doc, []byte(`<ds:KeyInfo>`+keyInfo+`</ds:KeyInfo>`))
}

func certB64(c *x509.Certificate) string { return base64.StdEncoding.EncodeToString(c.Raw) }

func issuerSerial(issuer, serial string) string {
	return `<ds:X509IssuerSerial><ds:X509IssuerName>` + issuer + `</ds:X509IssuerName><ds:X509SerialNumber>` +
		serial + `</ds:X509SerialNumber></ds:X509IssuerSerial>`
}

const strOpen = `<wsse:SecurityTokenReference xmlns:wsse="` + xsig.WSSENS + `">`

// Every way a WS-Security client names its certificate is accepted, and the evidence names it.
func TestVerifyKeyReferences(t *testing.T) {
	p := newPKI(t)
	for _, k := range []pki.KeyType{pki.RSA2048, pki.ECDSAP256, pki.GOST2004} {
		id := p.system(t, k)
		byKeyIdentifier := sign(t, message(t), id)
		serial := id.Certificate.SerialNumber.String()
		cases := []struct {
			name string
			doc  []byte
			want xsig.KeyReference
		}{
			{"KeyIdentifier X509v3", byKeyIdentifier, xsig.KeyIdentifierRef},
			{"BinarySecurityToken", sign(t, message(t), id, xsig.WithKeyReference(xsig.BinaryTokenRef)), xsig.BinaryTokenRef},
			{"BinarySecurityToken (older option)", sign(t, message(t), id, xsig.WithBinarySecurityToken()), xsig.BinaryTokenRef},
			{"BinarySecurityToken, Reference without ValueType", []byte(strings.Replace(string(sign(t, message(t), id, xsig.WithBinarySecurityToken())),
				` ValueType="`+xsig.X509v3+`"/>`, `/>`, 1)), xsig.BinaryTokenRef},
			{"X509Data in KeyInfo", sign(t, message(t), id, xsig.WithKeyReference(xsig.X509DataRef)), xsig.X509DataRef},
			// python zeep's zeep.wsse.signature.Signature: an STR holding X509Data with IssuerSerial and the certificate.
			{"X509Data in an STR, as zeep writes it", withKeyInfo(byKeyIdentifier, strOpen+`<ds:X509Data>`+
				issuerSerial(xsig.IssuerName(id.Certificate), serial)+`<ds:X509Certificate>`+certB64(id.Certificate)+
				`</ds:X509Certificate></ds:X509Data></wsse:SecurityTokenReference>`), xsig.X509DataRef},
			// The same, from python-xmlsec, which leaves zeep's X509IssuerSerial template empty.
			{"X509Data in an STR with an empty IssuerSerial", withKeyInfo(byKeyIdentifier, strOpen+`<ds:X509Data><ds:X509IssuerSerial/>`+
				`<ds:X509Certificate>`+certB64(id.Certificate)+`</ds:X509Certificate></ds:X509Data></wsse:SecurityTokenReference>`), xsig.X509DataRef},
			{"X509Data with the signer and its CA", withKeyInfo(byKeyIdentifier, `<ds:X509Data><ds:X509Certificate>`+certB64(id.Chain[0])+
				`</ds:X509Certificate><ds:X509Certificate>`+certB64(id.Certificate)+`</ds:X509Certificate></ds:X509Data>`), xsig.X509DataRef},
			{"X509Data with two end-entity certificates, IssuerSerial naming the signer", withKeyInfo(byKeyIdentifier, `<ds:X509Data>`+
				issuerSerial(xsig.IssuerName(id.Certificate), serial)+`<ds:X509Certificate>`+certB64(p.system(t, k).Certificate)+
				`</ds:X509Certificate><ds:X509Certificate>`+certB64(id.Certificate)+`</ds:X509Certificate></ds:X509Data>`), xsig.X509DataRef},
			{"IssuerSerial in an STR, as WSS4J writes it", sign(t, message(t), id, xsig.WithKeyReference(xsig.IssuerSerialRef)), xsig.IssuerSerialRef},
			{"IssuerSerial in KeyInfo", withKeyInfo(byKeyIdentifier, `<ds:X509Data>`+issuerSerial(xsig.IssuerName(id.Certificate), serial)+
				`</ds:X509Data>`), xsig.IssuerSerialRef},
		}
		for _, c := range cases {
			t.Run(k.String()+"/"+c.name, func(t *testing.T) {
				other := p.system(t, k)
				s, err := xsig.Verify(c.doc, other.Certificate, id.Certificate)
				if err != nil {
					t.Fatalf("refused: %v\n%s", err, c.doc)
				}
				if s.KeyInfo != string(c.want) || !s.Certificate.Equal(id.Certificate) || len(s.Remarks) != 0 {
					t.Fatalf("keyInfo %q, remarks %v, signer %s; want %q", s.KeyInfo, s.Remarks, s.Certificate.Subject, c.want)
				}
				if r := xsig.ReportOf(s); r.KeyInfo != string(c.want) {
					t.Fatalf("the report says keyInfo %q", r.KeyInfo)
				}
			})
		}
	}
}

// An X509IssuerName is matched as a name, not as a string: other spellings of the same name match.
func TestIssuerSerialSpellings(t *testing.T) {
	p := newPKI(t)
	id := p.system(t, pki.RSA2048)
	signed := sign(t, message(t), id)
	serial := id.Certificate.SerialNumber.String()
	name := xsig.IssuerName(id.Certificate)
	rdns := strings.Split(name, ",")
	reversed := slices.Clone(rdns)
	slices.Reverse(reversed)
	issuer := id.Certificate.Issuer
	for _, c := range []struct {
		issuer string
		match  bool
	}{
		{name, true},
		{issuer.String(), true}, // Go's own rendering
		{strings.Join(reversed, ", "), true},
		{strings.ToLower(strings.ReplaceAll(name, ",", " ; ")), true},
		{"OID.2.5.4.3=" + strings.ToUpper(issuer.CommonName) + "," + strings.Join(rdns[1:], ","), true},
		{`CN="` + issuer.CommonName + `",` + strings.Join(rdns[1:], ","), true},
		{"CN=#0c" + hexLen(issuer.CommonName) + hexOf(issuer.CommonName) + "," + strings.Join(rdns[1:], ","), true},
		{"CN=Another CA," + strings.Join(rdns[1:], ","), false},
		{strings.Join(rdns[1:], ","), false},
	} {
		doc := withKeyInfo(signed, `<ds:X509Data>`+issuerSerial(c.issuer, serial)+`</ds:X509Data>`)
		_, err := xsig.Verify(doc, id.Certificate)
		if (err == nil) != c.match {
			t.Errorf("issuer %q: %v, want match %v", c.issuer, err, c.match)
		}
	}
}

func hexOf(s string) string {
	const digits = "0123456789abcdef"
	var b strings.Builder
	for _, c := range []byte(s) {
		b.WriteByte(digits[c>>4])
		b.WriteByte(digits[c&15])
	}
	return b.String()
}

func hexLen(s string) string { return hexOf(string([]byte{byte(len(s))})) }

// IssuerSerial is resolved only against the sender's registered certificates; other KeyInfo faults
// are refused with what to do.
func TestVerifyRefusesKeyInfo(t *testing.T) {
	p := newPKI(t)
	id, other := p.system(t, pki.RSA2048), p.system(t, pki.RSA2048)
	signed := sign(t, message(t), id)
	byIssuerSerial := sign(t, message(t), id, xsig.WithKeyReference(xsig.IssuerSerialRef))
	name, serial := xsig.IssuerName(id.Certificate), id.Certificate.SerialNumber.String()
	cases := []struct {
		name  string
		doc   []byte
		known []*x509.Certificate
		want  xsig.Problem
		says  string
	}{
		{"IssuerSerial, nothing registered", byIssuerSerial, nil, xsig.Unregistered, "register the certificate"},
		{"IssuerSerial, another certificate registered", byIssuerSerial, []*x509.Certificate{other.Certificate}, xsig.Unregistered, "send it inline"},
		{"IssuerSerial of another serial", withKeyInfo(signed, `<ds:X509Data>`+issuerSerial(name, "1"+serial)+`</ds:X509Data>`),
			[]*x509.Certificate{id.Certificate}, xsig.Unregistered, "not one of the certificates registered"},
		{"IssuerSerial with a serial in hex", withKeyInfo(signed, `<ds:X509Data>`+issuerSerial(name, id.Certificate.SerialNumber.Text(16)+"zz")+`</ds:X509Data>`),
			[]*x509.Certificate{id.Certificate}, xsig.Malformed, "not a decimal integer"},
		{"X509Data with two end-entity certificates", withKeyInfo(signed, `<ds:X509Data><ds:X509Certificate>`+certB64(other.Certificate)+
			`</ds:X509Certificate><ds:X509Certificate>`+certB64(id.Certificate)+`</ds:X509Certificate></ds:X509Data>`), nil, xsig.Malformed, "cannot be told"},
		{"X509IssuerSerial without a serial", withKeyInfo(signed, `<ds:X509Data><ds:X509IssuerSerial><ds:X509IssuerName>`+name+
			`</ds:X509IssuerName></ds:X509IssuerSerial></ds:X509Data>`), nil, xsig.Malformed, "lacks"},
		{"an empty X509IssuerSerial alone", withKeyInfo(signed, `<ds:X509Data><ds:X509IssuerSerial/></ds:X509Data>`),
			[]*x509.Certificate{id.Certificate}, xsig.Malformed, "no X509Certificate comes with it"},
		{"X509Data with another key's certificate", withKeyInfo(signed, `<ds:X509Data><ds:X509Certificate>`+certB64(other.Certificate)+
			`</ds:X509Certificate></ds:X509Data>`), nil, xsig.Invalid, "does not verify"},
		{"X509Data with a subject name only", withKeyInfo(signed, `<ds:X509Data><ds:X509SubjectName>CN=x</ds:X509SubjectName></ds:X509Data>`),
			nil, xsig.Malformed, "neither X509Certificate nor X509IssuerSerial"},
		{"X509Data with a certificate that is not one", withKeyInfo(signed, `<ds:X509Data><ds:X509Certificate>AAAA</ds:X509Certificate></ds:X509Data>`),
			nil, xsig.Malformed, "cannot be read"},
		{"a bare public key", withKeyInfo(signed, `<ds:KeyValue/>`), nil, xsig.Malformed, "none of the accepted ways"},
		{"KeyIdentifier of another type", []byte(strings.Replace(string(signed), `ValueType="`+xsig.X509v3+`"`, `ValueType="urn:thumbprint"`, 1)),
			nil, xsig.Unsupported, "urn:thumbprint"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := xsig.Verify(c.doc, c.known...)
			if got := xsig.ProblemOf(err); got != c.want || !strings.Contains(err.Error(), c.says) {
				t.Fatalf("got %q (%v), want %q saying %q", got, err, c.want, c.says)
			}
		})
	}
}

func remarkCodes(rs []xsig.Remark) []string {
	var out []string
	for _, r := range rs {
		if r.Rule == "" || r.Reason.IsZero() {
			return []string{"remark without rule or reason: " + r.Code}
		}
		out = append(out, r.Code)
	}
	return out
}

// What the real gateway tolerates and the Rules do not ask for is accepted with a remark each.
func TestVerifyRemarks(t *testing.T) {
	p := newPKI(t)
	rsa, ec := p.system(t, pki.RSA2048), p.system(t, pki.ECDSAP256)
	withUnsignedTimestamp := strings.Replace(string(sign(t, message(t), rsa)), `<ds:Signature`,
		`<wsu:Timestamp xmlns:wsu="`+xsig.WSUNS+`" wsu:Id="TS-1"><wsu:Created>2025-01-01T00:00:00Z</wsu:Created></wsu:Timestamp><ds:Signature`, 1)
	cases := []struct {
		name string
		doc  []byte
		want []string
	}{
		{"RSA-SHA256", sign(t, message(t), rsa), nil},
		{"RSA-SHA1 with SHA-1 digests: one remark", sign(t, message(t), rsa, xsig.WithSHA1()), []string{xsig.RemarkSHA1}},
		{"signed Timestamp", sign(t, message(t), ec, xsig.WithTimestamp(5*time.Minute)), []string{xsig.RemarkTimestamp}},
		{"unsigned Timestamp", []byte(withUnsignedTimestamp), nil},
		{"plain Id on the Body", sign(t, message(t), ec, xsig.WithPlainID()), []string{xsig.RemarkPlainID}},
		{"plain lowercase id on the Body", sign(t, []byte(strings.Replace(string(message(t)), "wsu:Id=", "id=", 1)), rsa),
			[]string{xsig.RemarkPlainID}},
		{"all three", sign(t, message(t), rsa, xsig.WithSHA1(), xsig.WithTimestamp(time.Minute), xsig.WithPlainID(),
			xsig.WithKeyReference(xsig.X509DataRef)), []string{xsig.RemarkSHA1, xsig.RemarkTimestamp, xsig.RemarkPlainID}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := xsig.Verify(c.doc)
			if err != nil {
				t.Fatalf("refused: %v\n%s", err, c.doc)
			}
			if got := remarkCodes(s.Remarks); !slices.Equal(got, c.want) {
				t.Fatalf("remarks %v, want %v", got, c.want)
			}
			if got := remarkCodes(xsig.ReportOf(s).Remarks); !slices.Equal(got, c.want) {
				t.Fatalf("the report's remarks %v, want %v", got, c.want)
			}
		})
	}
	if _, err := xsig.Sign(message(t), ec, xsig.WithSHA1()); err == nil {
		t.Error("signed ECDSA with SHA-1")
	}
}

// The remarks do not weaken the checks: a SHA-1 or plain-Id signature is refused as any other when
// altered or wrapped, and unsupported algorithms stay unsupported.
func TestVerifyRefusesWithRemarkForms(t *testing.T) {
	p := newPKI(t)
	id := p.system(t, pki.RSA2048)
	sha1 := string(sign(t, message(t), id, xsig.WithSHA1()))
	plain := string(sign(t, message(t), id, xsig.WithPlainID()))
	body := plain[strings.Index(plain, "<soap:Body"):strings.Index(plain, "</soap:Envelope>")]
	bodyID := regexp.MustCompile(`Id="([^"]+)"`).FindStringSubmatch(body)[1]
	evil := strings.Replace(strings.Replace(body, "<messageId>m1</messageId>", "<messageId>evil</messageId>", 1), bodyID, "forged", 1)
	stamped := string(sign(t, message(t), id, xsig.WithTimestamp(time.Minute)))
	cases := []struct {
		name string
		doc  string
		want xsig.Problem
	}{
		{"SHA-1, body altered", strings.Replace(sha1, "<messageId>m1</messageId>", "<messageId>m2</messageId>", 1), xsig.Invalid},
		{"SHA-1, signature value altered", replaceSignatureValue(sha1), xsig.Invalid},
		{"a GOST signature method over an RSA key", strings.Replace(sha1, xsig.RSASHA1, xsig.GOST3410GOST34, 1), xsig.Invalid},
		{"GOST R 34.10-2015, 512-bit (not supported)", strings.Replace(sha1, xsig.RSASHA1,
			"urn:ietf:params:xml:ns:pkigovkz:xmlsec:algorithms:gostr34102015-gostr34112015-512", 1), xsig.Unsupported},
		{"ECDSA with SHA-1 (not accepted)", strings.Replace(sha1, xsig.RSASHA1, "http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha1", 1), xsig.Unsupported},
		{"MD5 digest", strings.Replace(sha1, xsig.SHA1+`"`, `http://www.w3.org/2001/04/xmldsig-more#md5"`, 1), xsig.Unsupported},
		{"plain Id, body altered", strings.Replace(plain, "<messageId>m1</messageId>", "<messageId>m2</messageId>", 1), xsig.Invalid},
		{"plain Id, signed body moved into the header", strings.Replace(strings.Replace(plain, body, evil, 1), "</soap:Header>",
			"<Wrapper>"+body+"</Wrapper></soap:Header>", 1), xsig.Wrapped},
		{"plain Id, a copy under wsu:Id", strings.Replace(plain, "</soap:Header>",
			`<Copy xmlns:wsu="`+xsig.WSUNS+`" wsu:Id="`+bodyID+`"/></soap:Header>`, 1), xsig.Wrapped},
		{"plain Id, a copy under lowercase id", strings.Replace(plain, "</soap:Header>", `<Copy id="`+bodyID+`"/></soap:Header>`, 1), xsig.Wrapped},
		{"plain Id, a copy under xml:id", strings.Replace(plain, "</soap:Header>", `<Copy xml:id="`+bodyID+`"/></soap:Header>`, 1), xsig.Wrapped},
		{"signed Timestamp, altered", regexp.MustCompile(`<wsu:Created>[^<]*`).ReplaceAllString(stamped, "<wsu:Created>2000-01-01T00:00:00Z"), xsig.Invalid},
		{"signed Timestamp moved out of the Security header", moveTimestamp(stamped), xsig.Wrapped},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := xsig.Verify([]byte(c.doc))
			if got := xsig.ProblemOf(err); got != c.want {
				t.Fatalf("got %q (%v), want %q", got, err, c.want)
			}
		})
	}
}

// moveTimestamp puts the signed Timestamp in the Header beside wsse:Security instead of inside it.
func moveTimestamp(doc string) string {
	ts := regexp.MustCompile(`(?s)<wsu:Timestamp.*</wsu:Timestamp>`).FindString(doc)
	return strings.Replace(strings.Replace(doc, ts, "", 1), "</soap:Header>", ts+"</soap:Header>", 1)
}
