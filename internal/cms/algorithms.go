package cms

import (
	"encoding/asn1"
	"strings"

	"github.com/shepconf/shepconf/internal/msg"
)

// gostArc is the root of the Russian national algorithm OIDs (GOST R 34.10, 34.11 and their
// parameters): 1.2.643.
var gostArc = asn1.ObjectIdentifier{1, 2, 643}

var gostNote = msg.F("GOST R 34.10/34.11 signatures are not supported by this simulator: sign with RSA or ECDSA and SHA-256 for the simulated exchange")

// gostNames gives the common GOST OIDs a readable name in refusals.
var gostNames = map[string]string{
	"1.2.643.7.1.1.1.1": "GOST R 34.10-2012 (256 bit) key",
	"1.2.643.7.1.1.1.2": "GOST R 34.10-2012 (512 bit) key",
	"1.2.643.7.1.1.2.2": "GOST R 34.11-2012 (Streebog-256) digest",
	"1.2.643.7.1.1.2.3": "GOST R 34.11-2012 (Streebog-512) digest",
	"1.2.643.7.1.1.3.2": "GOST R 34.10-2012 with GOST R 34.11-2012 (256 bit) signature",
	"1.2.643.7.1.1.3.3": "GOST R 34.10-2012 with GOST R 34.11-2012 (512 bit) signature",
	"1.2.643.2.2.9":     "GOST R 34.11-94 digest",
	"1.2.643.2.2.19":    "GOST R 34.10-2001 key",
	"1.2.643.2.2.3":     "GOST R 34.10-2001 with GOST R 34.11-94 signature",
}

func isGOST(oid asn1.ObjectIdentifier) bool {
	return len(oid) > len(gostArc) && oid[:len(gostArc)].Equal(gostArc)
}

func gostName(oid asn1.ObjectIdentifier) string {
	if n, ok := gostNames[oid.String()]; ok {
		return n + " (" + oid.String() + ")"
	}
	return "the GOST algorithm " + oid.String()
}

// gostIn names the first GOST algorithm identifier in a DER structure, or "". It walks the tree and
// looks at AlgorithmIdentifiers only (a SEQUENCE whose first element is an OID), so that the
// Russian subject attributes of a certificate (OGRN 1.2.643.100.1, INN 1.2.643.3.131.1.1) do not
// count as algorithms.
func gostIn(der []byte) string {
	var found string
	walk(der, 0, func(seq []byte) bool {
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(seq, &oid); err == nil && isGOST(oid) && !isAttributeArc(oid) {
			found = gostName(oid)
			return false
		}
		return true
	})
	return found
}

// stbArc is the arc of the Belarusian cryptographic standards' OIDs (STB 34.101.*: belt, bign,
// bash, brng): 1.2.112.0.2.0.34.101. They are signed with through the Avest provider, which is not
// available here.
var stbArc = asn1.ObjectIdentifier{1, 2, 112, 0, 2, 0, 34, 101}

var stbNote = msg.F("STB 34.101 signatures are not supported by this simulator: sign with RSA or ECDSA and SHA-256 for the simulated exchange")

// stbStandards names the standards under the arc.
var stbStandards = map[int]string{
	31: "STB 34.101.31 (belt)",
	45: "STB 34.101.45 (bign)",
	47: "STB 34.101.47 (brng)",
	77: "STB 34.101.77 (bash)",
}

// stbIn names the first STB 34.101 algorithm identifier in a DER structure, or "": the first
// element of a SEQUENCE under the arc, which holds no attribute types.
func stbIn(der []byte) string {
	var found string
	walk(der, 0, func(seq []byte) bool {
		var oid asn1.ObjectIdentifier
		if _, err := asn1.Unmarshal(seq, &oid); err != nil || len(oid) <= len(stbArc) || !oid[:len(stbArc)].Equal(stbArc) {
			return true
		}
		found = "the algorithm " + oid.String() + " of STB 34.101"
		if n, ok := stbStandards[oid[len(stbArc)]]; ok {
			found = "the algorithm " + oid.String() + " of " + n
		}
		return false
	})
	return found
}

// isAttributeArc tells the non-algorithm arcs of 1.2.643 seen in certificates (subject attributes,
// policies): 1.2.643.100 and 1.2.643.3.
func isAttributeArc(oid asn1.ObjectIdentifier) bool {
	s := oid.String()
	return strings.HasPrefix(s, "1.2.643.100.") || strings.HasPrefix(s, "1.2.643.3.")
}

// walk visits the contents of every SEQUENCE in der (depth-bounded), calling visit with them until
// it returns false; it enters OCTET STRINGs too, since a time-stamp token nests its TSTInfo (and
// so its imprint's digest algorithm) in one.
func walk(der []byte, depth int, visit func(seqContent []byte) bool) bool {
	if depth > 32 {
		return true
	}
	for len(der) > 0 {
		var v asn1.RawValue
		rest, err := asn1.Unmarshal(der, &v)
		if err != nil {
			return true
		}
		der = rest
		switch {
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagSequence:
			if !visit(v.Bytes) || !walk(v.Bytes, depth+1, visit) {
				return false
			}
		case v.IsCompound:
			if !walk(v.Bytes, depth+1, visit) {
				return false
			}
		case v.Class == asn1.ClassUniversal && v.Tag == asn1.TagOctetString:
			if !walk(v.Bytes, depth+1, visit) {
				return false
			}
		}
	}
	return true
}
