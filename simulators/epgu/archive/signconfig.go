package archive

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/rule"
)

// signConfig is sign_config.xml (spec v1.13, Appendix 5): the documents signed several times and the
// signature files of each. Appendix 5's text allows several <signedDocument> blocks while its XSD
// leaves maxOccurs at 1; the text is followed.
type signConfig struct {
	XMLName   xml.Name         `xml:"signedAttachments"`
	Documents []signedDocument `xml:"signedDocument"`
	Other     []anyElement     `xml:",any"`
}

type signedDocument struct {
	FileName    string       `xml:"documentFileName"`
	Description string       `xml:"documentDescription"`
	Signatures  []signData   `xml:"signData"`
	Other       []anyElement `xml:",any"`
}

type signData struct {
	FileName    string       `xml:"signFileName"`
	Description string       `xml:"signFileDescription"`
	Other       []anyElement `xml:",any"`
}

type anyElement struct {
	XMLName xml.Name
}

// parseSignConfig reads sign_config.xml and checks the structure Appendix 5 gives it; a breach is a
// VALIDATION_ERROR.
func parseSignConfig(data []byte) (*signConfig, *rule.Breach) {
	bad := func(field, expected, observed string) *rule.Breach {
		return &rule.Breach{Rule: ruleSignConfig, Field: SignConfigFile + ": " + field, Expected: expected, Observed: observed,
			Note: "status " + ValidationError + " (" + ruleStatuses + ")",
			Fix: "write sign_config.xml as spec v1.13 Appendix 5 shows: <signedAttachments> with a <signedDocument> per document " +
				"(<documentFileName>, optional <documentDescription>, one or more <signData> with <signFileName>)"}
	}
	var c signConfig
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		if se, ok := err.(xml.UnmarshalError); ok && strings.Contains(string(se), "expected element type") {
			return nil, bad("root", "the root element <signedAttachments>", string(se))
		}
		if errors.Is(err, io.EOF) {
			return nil, bad("document", "well-formed XML", "no XML element")
		}
		return nil, bad("document", "well-formed XML", err.Error())
	}
	if c.XMLName.Space != "" {
		return nil, bad("signedAttachments", "<signedAttachments> in no namespace", "namespace "+quote(c.XMLName.Space))
	}
	if len(c.Other) > 0 {
		return nil, bad("signedAttachments/"+c.Other[0].XMLName.Local, "only <signedDocument> elements", "<"+c.Other[0].XMLName.Local+">")
	}
	if len(c.Documents) == 0 {
		return nil, bad("signedAttachments", "at least one <signedDocument>", "none")
	}
	for i, d := range c.Documents {
		at := fmt.Sprintf("signedDocument[%d]", i+1)
		switch {
		case len(d.Other) > 0:
			return nil, bad(at+"/"+d.Other[0].XMLName.Local, "<documentFileName>, <documentDescription>, <signData>", "<"+d.Other[0].XMLName.Local+">")
		case strings.TrimSpace(d.FileName) == "":
			return nil, bad(at+"/documentFileName", "the signed document's file name", "none")
		case len(d.Signatures) == 0:
			return nil, bad(at+"/signData", "one or more <signData>, one per signature of "+quote(d.FileName), "none")
		}
		for j, s := range d.Signatures {
			at := fmt.Sprintf("%s/signData[%d]", at, j+1)
			if len(s.Other) > 0 {
				return nil, bad(at+"/"+s.Other[0].XMLName.Local, "<signFileName>, <signFileDescription>", "<"+s.Other[0].XMLName.Local+">")
			}
			if strings.TrimSpace(s.FileName) == "" {
				return nil, bad(at+"/signFileName", "the signature's file name", "none")
			}
		}
	}
	return &c, nil
}

// covers tells whether name is a document or a signature file sign_config.xml lists.
func (c *signConfig) covers(name string) bool {
	for _, d := range c.Documents {
		if strings.TrimSpace(d.FileName) == name {
			return true
		}
		for _, s := range d.Signatures {
			if strings.TrimSpace(s.FileName) == name {
				return true
			}
		}
	}
	return false
}

// verify checks that every listed document and signature file is in the archive and that each
// signature verifies over its document (EPGU-1.13).
func (c *signConfig) verify(files map[string][]byte, v cms.Verifier) *rule.Breach {
	missing := func(field, what string) *rule.Breach {
		return &rule.Breach{Rule: ruleSignConfig, Field: field, Expected: what + " " + quote(field) + " that sign_config.xml lists",
			Observed: "no such file in the archive", Note: "status " + FilesVerificationFailed + " (" + ruleStatuses + ")",
			Fix: "add " + field + " to the archive, or list in sign_config.xml only the files the archive holds"}
	}
	for _, d := range c.Documents {
		doc := strings.TrimSpace(d.FileName)
		data, ok := files[doc]
		if !ok {
			return missing(doc, "the document")
		}
		for _, s := range d.Signatures {
			name := strings.TrimSpace(s.FileName)
			sig, ok := files[name]
			if !ok {
				return missing(name, "the signature of "+quote(doc)+",")
			}
			if b := verifyOne(ruleSignConfig, name, doc, sig, data, v); b != nil {
				return b
			}
		}
	}
	return nil
}
