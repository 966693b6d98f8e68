package archive

import (
	"errors"
	"strings"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
)

// sigSuffix names a detached signature after its file: req.xml → req.xml.sig (EPGU-2.1.3).
const sigSuffix = ".sig"

// verifyEach checks that every file that is not itself a signature has its "<file>.sig" and that it
// verifies over the file (EPGU-2.1.3). Documents that sign_config.xml lists are signed by the
// signatures it names instead, and sign_config.xml itself, a manifest, is not asked for one.
func verifyEach(entries []entry, files map[string][]byte, config *signConfig, v cms.Verifier) *rule.Breach {
	for _, e := range entries {
		if strings.HasSuffix(e.name, sigSuffix) || (config != nil && (config.covers(e.name) || e.name == SignConfigFile)) {
			continue
		}
		sigName := e.name + sigSuffix
		sig, ok := files[sigName]
		if !ok {
			return &rule.Breach{Rule: ruleArchive, Field: msg.Raw(sigName),
				Expected: msg.F("a detached signature %s of %s", quote(sigName), quote(e.name)),
				Observed: msg.F("no %s in the archive", quote(sigName)), Note: statusNote(FilesVerificationFailed),
				Fix: msg.F("sign %s (detached CMS with a signature time-stamp) and add the signature as %s", e.name, sigName)}
		}
		if b := verifyOne(ruleArchive, sigName, e.name, sig, e.data, v); b != nil {
			return b
		}
	}
	return nil
}

// verifyOne checks one detached signature over its document and words the cms refusal as a breach.
func verifyOne(clause, sigName, docName string, sig, doc []byte, v cms.Verifier) *rule.Breach {
	_, err := v.VerifyDetached(signatureBytes(sig), doc)
	if err == nil {
		return nil
	}
	problem, detail := cms.Problem("error"), err.Error()
	var ce *cms.Error
	if errors.As(err, &ce) {
		problem, detail = ce.Problem, ce.Detail
	}
	return &rule.Breach{Rule: clause, Field: msg.Raw(sigName),
		Expected: msg.F("a valid detached CMS signature of %s by a trusted certificate, with a signature time-stamp", quote(docName)),
		Observed: msg.F("%s: %s", problemText(problem), detail), Note: statusNote(FilesVerificationFailed),
		Fix: fixFor(problem, docName)}
}

// problemText is cms's name of a problem, in the reader's language; the verifier's detail after
// it is quoted as cms words it.
func problemText(p cms.Problem) msg.Text {
	switch p {
	case cms.Malformed:
		return msg.F("malformed")
	case cms.NotSupported:
		return msg.F("not supported")
	case cms.BadSignature:
		return msg.F("bad signature")
	case cms.Untrusted:
		return msg.F("untrusted")
	case cms.NoTimestamp:
		return msg.F("no timestamp")
	case cms.BadTimestamp:
		return msg.F("bad timestamp")
	case "error":
		return msg.F("error")
	}
	return msg.Raw(string(p))
}

func fixFor(p cms.Problem, doc string) msg.Text {
	switch p {
	case cms.Malformed:
		return msg.F("the .sig file must be the DER (or base64) of a detached CMS SignedData over %s", doc)
	case cms.NotSupported:
		return msg.F("the simulator verifies RSA or ECDSA with SHA-256: sign with a test certificate of the simulated CA")
	case cms.BadSignature:
		return msg.F("sign exactly the bytes of %s as packed into the archive, after its last change", doc)
	case cms.Untrusted:
		return msg.F("sign with a certificate issued by the CA the portal trusts (the simulated NCA), valid now")
	case cms.NoTimestamp:
		return msg.F("ask the time-stamp service for a token over the signature value and add it (CAdES-T)")
	case cms.BadTimestamp:
		return msg.F("take the time-stamp token from the trusted time-stamp service, over this signature's value")
	}
	return msg.F("sign %s again with a certificate of the simulated CA", doc)
}

// signatureBytes is the DER of a .sig file. Crypto tools write detached signatures as DER or as
// base64 text, bare or between PEM lines ("-----BEGIN PKCS7-----"); both are taken.
func signatureBytes(raw []byte) []byte {
	if len(raw) == 0 || raw[0] == 0x30 {
		return raw // DER: a SEQUENCE
	}
	var text strings.Builder
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "-----") {
			continue
		}
		text.WriteString(line)
	}
	der, err := cms.Decode(text.String())
	if err != nil {
		return raw // not base64 either: the verifier says what is wrong with it
	}
	return der
}
