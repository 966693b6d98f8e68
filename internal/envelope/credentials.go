package envelope

import (
	"bytes"
	"encoding/xml"
	"strings"
)

// Credentials is what a SOAP request says of its sender, read by ReadCredentials without building
// a tree.
type Credentials struct {
	Found       bool   // a sender element stood where the channels put it
	SenderID    string // sender/senderId
	Password    string // sender/password
	HasPassword bool   // a password element was present (it may be empty)
	MessageDate string // requestInfo/messageDate or messageInfo/messageDate, as written
	Operation   string // local name of the Body's element: SendMessage, sendMessage, getMessages ...
	Field       string // where the sender stood: "request/sender", "request/requestInfo/sender" ...
}

// ReadCredentials reads the sender of a request of any SOAP channel by a streaming read that stops
// once the element holding the sender is closed: Envelope/Body/{operation}/request, then sender
// directly (A1-T4, A1-T7, A1-T10) or inside requestInfo (A1-T19) or messageInfo (A1-T1). It lets
// the gateway authenticate before it validates or parses the whole message (R-53(2)); the schema
// and the full parse still follow for an authenticated sender, and the credentials they decode are
// checked again. A document it cannot read gives Found false.
func ReadCredentials(doc []byte) Credentials {
	var c Credentials
	d := xml.NewDecoder(bytes.NewReader(doc))
	var path []string // local names of the open elements
	var text *string  // where the character data of the open field goes
	for {
		tok, err := d.Token()
		if err != nil { // io.EOF included: whatever was found is the answer
			return c
		}
		switch t := tok.(type) {
		case xml.StartElement:
			path = append(path, t.Name.Local)
			text = nil
			if len(path) == 1 && (t.Name.Local != "Envelope" || t.Name.Space != SOAPNS) {
				return c // not a SOAP envelope: the schema will say why
			}
			if len(path) == 3 && path[1] == "Body" {
				c.Operation = t.Name.Local
			}
			switch credentialField(path) {
			case "sender":
				c.Found = true
				c.Field = strings.Join(path[3:], "/")
			case "senderId":
				text = &c.SenderID
			case "password":
				c.HasPassword = true
				text = &c.Password
			case "messageDate":
				text = &c.MessageDate
			}
		case xml.CharData:
			if text != nil {
				*text += string(t)
			}
		case xml.EndElement:
			text = nil
			path = path[:len(path)-1]
			// Once the element holding the sender (requestInfo, messageInfo or request) is closed,
			// or the request without one, nothing later matters here: business data is not read.
			if len(path) >= 2 && path[1] == "Body" && (len(path) <= 3 || c.Found && len(path) <= 4) {
				return c
			}
		}
	}
}

// credentialField names the field at path, or "" when path is not one: the sender at
// Envelope/Body/{operation}/request/sender or .../request/{requestInfo|messageInfo}/sender, its
// senderId and password, and the messageDate beside it.
func credentialField(path []string) string {
	if len(path) < 5 || path[1] != "Body" || path[3] != "request" {
		return ""
	}
	rest := path[4:]
	if rest[0] == "requestInfo" || rest[0] == "messageInfo" {
		if len(rest) == 2 && rest[1] == "messageDate" {
			return "messageDate"
		}
		rest = rest[1:]
	}
	switch {
	case len(rest) == 1 && rest[0] == "sender":
		return "sender"
	case len(rest) == 2 && rest[0] == "sender" && (rest[1] == "senderId" || rest[1] == "password"):
		return rest[1]
	}
	return ""
}
