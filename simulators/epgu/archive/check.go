package archive

import (
	"fmt"
	"path"
	"strings"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
	"github.com/shepconf/shepconf/internal/rule"
	"github.com/shepconf/shepconf/internal/schema"
)

// Check judges zip, the whole uploaded archive, for service s; v verifies the signatures (its
// RequireTimestamp is forced on: the portal wants CAdES-T).
func Check(zip []byte, s Service, v cms.Verifier) Result {
	max := s.MaxUncompressed
	if max <= 0 {
		max = DefaultMaxUncompressed
	}
	entries, names, b := unpack(zip, max)
	res := Result{Files: names}
	fail := func(status string, b *rule.Breach) Result {
		res.Status, res.Breach = status, b
		return res
	}
	if b != nil {
		return fail(InvalidFilesStructure, b)
	}
	files := map[string][]byte{}
	for _, e := range entries {
		files[e.name] = e.data
	}

	// Appendix 1: REQ_NOT_FOUND when the transport XML is absent, MPC_NOT_FOUND when the XML of
	// business data the service's specification names is absent.
	transport, b := find(entries, s.TransportFile, msg.F("transport file"), ReqNotFound)
	if b != nil {
		return fail(statusOf(b, ReqNotFound), b)
	}
	business, b := find(entries, s.BusinessFile, msg.F("business file (the service's XML of business data)"), MPCNotFound)
	if b != nil {
		return fail(statusOf(b, MPCNotFound), b)
	}

	// Appendix 1: VALIDATION_ERROR when an attachment fails the validators of the service.
	if b := validate(transport, s.TransportSchema); b != nil {
		return fail(ValidationError, b)
	}
	if b := validate(business, s.Schema); b != nil {
		return fail(ValidationError, b)
	}
	var config *signConfig
	if s.SignConfig {
		if data, ok := files[SignConfigFile]; ok {
			if config, b = parseSignConfig(data); b != nil {
				return fail(ValidationError, b)
			}
		}
	}

	// Appendix 1: FILES_VERIFICATION_FAILED when signatures the service requires are absent or do
	// not verify.
	if !s.Signatures && !s.SignConfig {
		res.Status = FilesVerificationSuccess
		return res
	}
	v.RequireTimestamp = true
	if s.SignConfig {
		if config == nil {
			return fail(FilesVerificationFailed, &rule.Breach{Rule: ruleSignConfig, Field: msg.Raw(SignConfigFile),
				Expected: msg.F("sign_config.xml listing the documents signed several times and their signature files"),
				Observed: msg.F("no sign_config.xml in the archive"), Note: statusNote(FilesVerificationFailed),
				Fix: msg.F("add sign_config.xml (spec v1.13, Appendix 5): a <signedDocument> per document, a <signData><signFileName> per signature")})
		}
		if b := config.verify(files, v); b != nil {
			return fail(FilesVerificationFailed, b)
		}
	}
	if s.Signatures {
		if b := verifyEach(entries, files, config, v); b != nil {
			return fail(FilesVerificationFailed, b)
		}
	}
	res.Status, res.SignaturesChecked = FilesVerificationSuccess, true
	return res
}

// find is the one entry whose name matches pattern; none is the status given, several an
// INVALID_FILES_STRUCTURE (the portal could not tell which file is meant).
func find(entries []entry, pattern string, what msg.Text, status string) (entry, *rule.Breach) {
	var found []entry
	for _, e := range entries {
		if ok, _ := path.Match(pattern, e.name); ok {
			found = append(found, e)
		}
	}
	switch len(found) {
	case 1:
		return found[0], nil
	case 0:
		return entry{}, &rule.Breach{Rule: ruleStatuses, Field: msg.Raw(pattern), Expected: msg.F("the %s %s", what, quote(pattern)),
			Observed: msg.F("no such file among %s", list(entries)), Note: msg.F("status %s", status),
			Fix: msg.F("add the %s named as the service's specification names it (%s)", what, quote(pattern))}
	}
	var names []string
	for _, e := range found {
		names = append(names, e.name)
	}
	return entry{}, structure(pattern, msg.F("one %s %s", what, quote(pattern)), msg.Raw(fmt.Sprintf("%d: %s", len(found), strings.Join(names, ", "))),
		msg.F("send one %s per order", what))
}

// statusOf is the status a find breach stands for: the missing-file status, unless the breach is
// about the structure.
func statusOf(b *rule.Breach, missing string) string {
	if b.Rule == ruleArchive {
		return InvalidFilesStructure
	}
	return missing
}

func list(entries []entry) string {
	var names []string
	for _, e := range entries {
		names = append(names, e.name)
	}
	return strings.Join(names, ", ")
}

// validate checks an XML file against its schema (none: no check) and reports the first violation
// with its line and element, as libxml2 found it.
func validate(e entry, x *schema.XSD) *rule.Breach {
	if x == nil {
		return nil
	}
	vs := relevant(x.Validate(e.data))
	if len(vs) == 0 {
		return nil
	}
	first := vs[0]
	field := e.name
	switch {
	case first.Path != "" && !strings.Contains(first.Path, "*"):
		field += ": " + first.Path
	case first.Found != "":
		field += ": " + first.Found // libxml2 writes "*" for elements in a default namespace
	}
	expected := msg.F("a document valid against the service's schema")
	if len(first.Expected) > 0 {
		expected = msg.F("a document valid against the service's schema (expected here: %s)", strings.Join(first.Expected, ", "))
	}
	// libxml2's message is quoted as it is.
	observed := msg.Raw(strings.TrimSuffix(first.Message, "."))
	if len(vs) > 1 {
		observed = msg.F("%s (and %d more)", observed, len(vs)-1)
	}
	return &rule.Breach{Rule: ruleStatuses, Field: msg.Raw(field), Line: first.Line, Expected: expected, Observed: observed,
		Note: msg.F("status %s", ValidationError), Fix: msg.F("make %s valid against the service's XSD before packing it", e.name)}
}

// relevant drops libxml2's complaint that a namespace name is not a valid URI: real services use
// IRIs in Cyrillic (SFR: xmlns="http://пф.рф/ВЗЛ/ЗДП/2016-04-15"), which XML namespaces compare as
// plain strings, and libxml2 still validates the document by them.
func relevant(vs []schema.Violation) []schema.Violation {
	var out []schema.Violation
	for _, v := range vs {
		if v.Kind == schema.Syntax && strings.HasPrefix(v.Message, "xmlns") && strings.HasSuffix(v.Message, "is not a valid URI") {
			continue
		}
		out = append(out, v)
	}
	return out
}
