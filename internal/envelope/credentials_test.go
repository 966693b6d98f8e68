package envelope_test

import (
	"strings"
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
)

func TestReadCredentials(t *testing.T) {
	const env = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Header/><soap:Body>%s</soap:Body></soap:Envelope>`
	cases := map[string]struct {
		body string
		want envelope.Credentials
	}{
		"sync": {`<ns2:SendMessage xmlns:ns2="urn:s"><request><requestInfo><messageId>m</messageId><messageDate>2099-01-01T00:00:00</messageDate>` +
			`<sender><senderId>SYS</senderId><password>a&amp;b</password></sender></requestInfo><requestData><data>` + strings.Repeat("x", 1000) + `</data></requestData></request></ns2:SendMessage>`,
			envelope.Credentials{Found: true, SenderID: "SYS", Password: "a&b", HasPassword: true, MessageDate: "2099-01-01T00:00:00", Operation: "SendMessage", Field: "request/requestInfo/sender"}},
		"async sendMessage": {`<ns2:sendMessage xmlns:ns2="urn:a"><request><messageInfo><sender><senderId>A</senderId></sender></messageInfo></request></ns2:sendMessage>`,
			envelope.Credentials{Found: true, SenderID: "A", Operation: "sendMessage", Field: "request/messageInfo/sender"}},
		"async getMessages": {`<ns2:getMessages xmlns:ns2="urn:a"><request><sender><senderId>B</senderId><password/></sender></request></ns2:getMessages>`,
			envelope.Credentials{Found: true, SenderID: "B", HasPassword: true, Operation: "getMessages", Field: "request/sender"}},
		"no sender":            {`<ns2:getMessages xmlns:ns2="urn:a"><request><serviceId>S</serviceId></request></ns2:getMessages>`, envelope.Credentials{Operation: "getMessages"}},
		"sender in the header": {`<x/>`, envelope.Credentials{Operation: "x"}},
	}
	for name, c := range cases {
		doc := strings.Replace(env, "%s", c.body, 1)
		if name == "sender in the header" {
			doc = strings.Replace(doc, "<soap:Header/>", `<soap:Header><request><sender><senderId>H</senderId></sender></request></soap:Header>`, 1)
		}
		if got := envelope.ReadCredentials([]byte(doc)); got != c.want {
			t.Errorf("%s: %+v, want %+v", name, got, c.want)
		}
	}
}
