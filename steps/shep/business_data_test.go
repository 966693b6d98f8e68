package shep

import (
	"testing"

	"github.com/shepconf/shepconf/internal/envelope"
)

// Business data sent as escaped text or as XML elements is the same data; altered data is not.
func TestBusinessDataInEitherEncoding(t *testing.T) {
	want := canonicalXML(`<request><uin>990101300123</uin></request>`)
	asElements := envelope.Data{Raw: `<data xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><request ><uin>990101300123</uin></request></data>`}
	for name, d := range map[string]envelope.Data{
		"escaped text": envelope.StringData(`<request><uin>990101300123</uin></request>`),
		"XML elements": asElements,
	} {
		if got := businessData(d); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	if got := businessData(envelope.StringData(`<request><uin>990101300124</uin></request>`)); got == want {
		t.Error("altered data compared equal")
	}
	if got := businessData(envelope.StringData(`<request><uin>990101300123</uin></request>!`)); got == want {
		t.Error("data with text after the element compared equal")
	}
	if got := businessData(envelope.StringData("ping")); got != "ping" {
		t.Errorf("plain text: %q", got)
	}
}
