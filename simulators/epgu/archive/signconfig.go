package archive

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/shepconf/shepconf/internal/cms"
	"github.com/shepconf/shepconf/internal/msg"
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
	bad := func(field string, expected, observed msg.Text) *rule.Breach {
		return &rule.Breach{Rule: ruleSignConfig, Field: msg.Raw(SignConfigFile + ": " + field), Expected: expected, Observed: observed,
			Note: statusNote(ValidationError),
			Fix:  msg.F("write sign_config.xml as spec v1.13 Appendix 5 shows: <signedAttachments> with a <signedDocument> per document (<documentFileName>, optional <documentDescription>, one or more <signData> with <signFileName>)")}
	}
	var c signConfig
	dec := xml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&c); err != nil {
		if se, ok := err.(xml.UnmarshalError); ok && strings.Contains(string(se), "expected element type") {
			return nil, bad("root", msg.F("the root element <signedAttachments>"), msg.Raw(string(se)))
		}
		if errors.Is(err, io.EOF) {
			return nil, bad("document", msg.F("well-formed XML"), msg.F("no XML element"))
		}
		return nil, bad("document", msg.F("well-formed XML"), msg.Of(err))
	}
	if c.XMLName.Space != "" {
		return nil, bad("signedAttachments", msg.F("<signedAttachments> in no namespace"), msg.F("namespace %s", quote(c.XMLName.Space)))
	}
	if len(c.Other) > 0 {
		return nil, bad("signedAttachments/"+c.Other[0].XMLName.Local, msg.F("only <signedDocument> elements"), msg.Raw("<"+c.Other[0].XMLName.Local+">"))
	}
	if len(c.Documents) == 0 {
		return nil, bad("signedAttachments", msg.F("at least one <signedDocument>"), msg.F("none"))
	}
	for i, d := range c.Documents {
		at := fmt.Sprintf("signedDocument[%d]", i+1)
		switch {
		case len(d.Other) > 0:
			return nil, bad(at+"/"+d.Other[0].XMLName.Local, msg.Raw("<documentFileName>, <documentDescription>, <signData>"), msg.Raw("<"+d.Other[0].XMLName.Local+">"))
		case strings.TrimSpace(d.FileName) == "":
			return nil, bad(at+"/documentFileName", msg.F("the signed document's file name"), msg.F("none"))
		case len(d.Signatures) == 0:
			return nil, bad(at+"/signData", msg.F("one or more <signData>, one per signature of %s", quote(d.FileName)), msg.F("none"))
		}
		for j, s := range d.Signatures {
			at := fmt.Sprintf("%s/signData[%d]", at, j+1)
			if len(s.Other) > 0 {
				return nil, bad(at+"/"+s.Other[0].XMLName.Local, msg.Raw("<signFileName>, <signFileDescription>"), msg.Raw("<"+s.Other[0].XMLName.Local+">"))
			}
			if strings.TrimSpace(s.FileName) == "" {
				return nil, bad(at+"/signFileName", msg.F("the signature's file name"), msg.F("none"))
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
	missing := func(field string, what msg.Text) *rule.Breach {
		return &rule.Breach{Rule: ruleSignConfig, Field: msg.Raw(field), Expected: msg.F("%s %s that sign_config.xml lists", what, quote(field)),
			Observed: msg.F("no such file in the archive"), Note: statusNote(FilesVerificationFailed),
			Fix: msg.F("add %s to the archive, or list in sign_config.xml only the files the archive holds", field)}
	}
	for _, d := range c.Documents {
		doc := strings.TrimSpace(d.FileName)
		data, ok := files[doc]
		if !ok {
			return missing(doc, msg.F("the document"))
		}
		for _, s := range d.Signatures {
			name := strings.TrimSpace(s.FileName)
			sig, ok := files[name]
			if !ok {
				return missing(name, msg.F("the signature of %s,", quote(doc)))
			}
			if b := verifyOne(ruleSignConfig, name, doc, sig, data, v); b != nil {
				return b
			}
		}
	}
	return nil
}
