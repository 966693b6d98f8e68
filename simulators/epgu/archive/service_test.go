package archive_test

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/shepconf/shepconf/simulators/epgu/archive"
)

func TestLoadDemoService(t *testing.T) {
	s := demoService(t)
	if s.Code != "99000000001" || strings.Join(s.TargetCodes, ",") != "-99000000001" ||
		s.TransportFile != "req.xml" || s.BusinessFile != "application.xml" ||
		s.Schema == nil || s.TransportSchema == nil || !s.Signatures || s.SignConfig {
		t.Errorf("loaded %+v", s)
	}
}

func TestLoadServiceRefuses(t *testing.T) {
	xsd := []byte(`<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="a"/></xs:schema>`)
	cases := []struct {
		name, yaml string
		want       string
	}{
		{"no service.yaml", "", "service.yaml"},
		{"unknown key", "code: \"1\"\ntransportFile: req.xml\nbusinessFile: b.xml\nschema: b.xsd\nsignature: true\n", "signature"},
		{"no code", "transportFile: req.xml\nbusinessFile: b.xml\nschema: b.xsd\n", "code"},
		{"code not digits", "code: abc\ntransportFile: req.xml\nbusinessFile: b.xml\nschema: b.xsd\n", "code"},
		{"no business file", "code: \"1\"\ntransportFile: req.xml\nschema: b.xsd\n", "businessFile"},
		{"no schema", "code: \"1\"\ntransportFile: req.xml\nbusinessFile: b.xml\n", "schema"},
		{"schema missing", "code: \"1\"\ntransportFile: req.xml\nbusinessFile: b.xml\nschema: missing.xsd\n", "missing.xsd"},
		{"bad pattern", "code: \"1\"\ntransportFile: \"req[.xml\"\nbusinessFile: b.xml\nschema: b.xsd\n", "req[.xml"},
		{"a folder in a name", "code: \"1\"\ntransportFile: req.xml\nbusinessFile: data/b.xml\nschema: b.xsd\n", "data/b.xml"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fsys := fstest.MapFS{"svc/b.xsd": {Data: xsd}}
			if tc.yaml != "" {
				fsys["svc/service.yaml"] = &fstest.MapFile{Data: []byte(tc.yaml)}
			}
			_, err := archive.LoadService(fsys, "svc")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want one mentioning %q", err, tc.want)
			}
			t.Log(err)
		})
	}
}
