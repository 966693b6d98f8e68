package archive

import (
	"errors"
	"fmt"
	"strings"

	"github.com/shepconf/shepconf/internal/cms"
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
			return &rule.Breach{Rule: ruleArchive, Field: sigName,
				Expected: "a detached signature " + quote(sigName) + " of " + quote(e.name),
				Observed: "no " + quote(sigName) + " in the archive", Note: "status " + FilesVerificationFailed + " (" + ruleStatuses + ")",
				Fix: "sign " + e.name + " (detached CMS with a signature time-stamp) and add the signature as " + sigName}
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
	return &rule.Breach{Rule: clause, Field: sigName,
		Expected: "a valid detached CMS signature of " + quote(docName) + " by a trusted certificate, with a signature time-stamp",
		Observed: fmt.Sprintf("%s: %s", problem, detail), Note: "status " + FilesVerificationFailed + " (" + ruleStatuses + ")",
		Fix: fixFor(problem, docName)}
}

func fixFor(p cms.Problem, doc string) string {
	switch p {
	case cms.Malformed:
		return "the .sig file must be the DER (or base64) of a detached CMS SignedData over " + doc
	case cms.NotSupported:
		return "the simulator verifies RSA or ECDSA with SHA-256: sign with a test certificate of the simulated CA"
	case cms.BadSignature:
		return "sign exactly the bytes of " + doc + " as packed into the archive, after its last change"
	case cms.Untrusted:
		return "sign with a certificate issued by the CA the portal trusts (the simulated NCA), valid now"
	case cms.NoTimestamp:
		return "ask the time-stamp service for a token over the signature value and add it (CAdES-T)"
	case cms.BadTimestamp:
		return "take the time-stamp token from the trusted time-stamp service, over this signature's value"
	}
	return "sign " + doc + " again with a certificate of the simulated CA"
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
