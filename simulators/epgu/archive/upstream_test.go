package archive_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

	"github.com/shepconf/shepconf/internal/upstreamtest"
	"github.com/shepconf/shepconf/simulators/epgu/archive"
)

// The two real services of ../shared/upstream/epgu, read in place (never copied into the project):
// each test lays the files out as the schemas' schemaLocations expect and writes the service.yaml
// the portal's configuration of that service would amount to.

func upstreamFile(t *testing.T, rel string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(upstreamtest.Dir(t), "epgu", filepath.FromSlash(rel)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func loadFrom(t *testing.T, fsys fstest.MapFS) archive.Service {
	t.Helper()
	s, err := archive.LoadService(fsys, "svc")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestFSSP60010153: «Предоставление информации о наличии исполнительного производства онлайн», the
// service of the walkthrough: transport req.xml, business piev_epgu.xml (piev_epgu.xsd).
func TestFSSP60010153(t *testing.T) {
	req := upstreamFile(t, "fssp-60010153/req.xml")
	piev := upstreamFile(t, "fssp-60010153/piev_epgu.xml")
	svc := loadFrom(t, fstest.MapFS{
		"svc/service.yaml":  {Data: []byte("code: \"60010153\"\ntargetCodes: [\"-60010153\"]\ntransportFile: req.xml\nbusinessFile: piev_epgu.xml\nschema: piev_epgu.xsd\nsignatures: true\n")},
		"svc/piev_epgu.xsd": {Data: upstreamFile(t, "fssp-60010153/piev_epgu.xsd")},
	})
	sg := newSigning(t, "FSSP")
	broken := bytes.Replace(piev, []byte("<fssp:DocDate>2000-01-01</fssp:DocDate>"), []byte("<fssp:DocDate>01.01.2000</fssp:DocDate>"), 1)
	if bytes.Equal(broken, piev) {
		t.Fatal("the sample changed: DocDate not found")
	}
	t.Run("the samples, signed", func(t *testing.T) {
		got := archive.Check(zipOf(t, sg.signed(t, file{"req.xml", req}, file{"piev_epgu.xml", piev})...), svc, sg.verifier())
		expect(t, got, archive.FilesVerificationSuccess, "")
	})
	t.Run("a wrong date in the business file", func(t *testing.T) {
		got := archive.Check(zipOf(t, sg.signed(t, file{"req.xml", req}, file{"piev_epgu.xml", broken})...), svc, sg.verifier())
		expect(t, got, archive.ValidationError, "EPGU-A1", "piev_epgu.xml", "DocDate")
	})
	t.Run("the business file left out", func(t *testing.T) {
		got := archive.Check(zipOf(t, sg.signed(t, file{"req.xml", req})...), svc, sg.verifier())
		expect(t, got, archive.MPCNotFound, "EPGU-A1", "piev_epgu.xml")
	})
}

// xmldsigStandIn stands for the W3C xmldsig core schema, which the SFR business schema imports but
// the upstream copy lacks: it declares only the type the schema uses, open to any content. Written
// here, not copied.
const xmldsigStandIn = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://www.w3.org/2000/09/xmldsig#" elementFormDefault="qualified">
  <xs:complexType name="SignatureType"><xs:sequence><xs:any processContents="skip" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:anyAttribute processContents="skip"/></xs:complexType>
</xs:schema>`

// TestSFR10000000109: «Доставка пенсии и социальных выплат ПФР». As the service's client
// (ofstudio/go-api-epgu) builds it, the archive holds trans_<GUID>.xml (transport, schemas.xsd)
// and req_<GUID>.xml (business ЭДПФР, ЗДП_2016-04-15.xsd); the service needs no signature.
func TestSFR10000000109(t *testing.T) {
	up := func(name string) *fstest.MapFile {
		return &fstest.MapFile{Data: upstreamFile(t, "sfr-10000000109/"+name)}
	}
	svc := loadFrom(t, fstest.MapFS{
		"svc/service.yaml": {Data: []byte("code: \"10000000109\"\ntargetCodes: [\"-10000000109\"]\n" +
			"transportFile: \"trans_*.xml\"\ntransportSchema: transport/schemas.xsd\n" +
			"businessFile: \"req_*.xml\"\nschema: business/pfr/zdp/ЗДП_2016-04-15.xsd\nsignatures: false\n")},
		// schemas.xsd imports commons/cmv-types-1.0.1.xsd.
		"svc/transport/schemas.xsd":                 {Data: up("schemas.xsd").Data},
		"svc/transport/commons/cmv-types-1.0.1.xsd": up("cmv-types-1.0.1.xsd"),
		// ЗДП imports ../../УнифТипы, ../../ТипыОбщие, ../../xmldsig_core_schema.xsd and ../ТипыВЗЛ;
		// ТипыВЗЛ imports ../УнифТипы and ../ТипыОбщие.
		"svc/business/pfr/zdp/ЗДП_2016-04-15.xsd": up("ЗДП_2016-04-15.xsd"),
		"svc/business/pfr/ТипыВЗЛ_2014-01-01.xsd": up("ТипыВЗЛ_2014-01-01.xsd"),
		"svc/business/УнифТипы_2014-01-01.xsd":    up("УнифТипы_2014-01-01.xsd"),
		"svc/business/ТипыОбщие.xsd":              up("ТипыОбщие.xsd"),
		"svc/business/xmldsig_core_schema.xsd":    {Data: []byte(xmldsigStandIn)},
	})
	const guid = "8f8b7e4b-dec8-4dac-8a02-3dcde44d4fb2" // the one trans-example.xml names
	trans, req := upstreamFile(t, "sfr-10000000109/trans-example.xml"), upstreamFile(t, "sfr-10000000109/req-example.xml")
	transName, reqName := "trans_"+guid+".xml", "req_"+guid+".xml"
	wrongTarget := bytes.Replace(trans, []byte("<ns0:FRGUTargetId>10002953957</ns0:FRGUTargetId>"), []byte("<ns0:FRGUTargetId>10002953958</ns0:FRGUTargetId>"), 1)
	if bytes.Equal(wrongTarget, trans) {
		t.Fatal("the sample changed: FRGUTargetId not found")
	}
	// The published example puts НомерСчета before Адрес, against the order of ЗДП's sequence
	// (НаименованиеОрганизации, СпособВручения, Адрес, НомерСчета): the portal's validator refuses it.
	// Moved where the schema wants it, the same example passes.
	account := []byte("<НомерСчета>40702810038050103285</НомерСчета>")
	if !bytes.Contains(req, account) || !bytes.Contains(req, []byte("</Адрес>")) {
		t.Fatal("the sample changed: НомерСчета or Адрес not found")
	}
	fixed := bytes.Replace(bytes.Replace(req, account, nil, 1), []byte("</Адрес>"), append([]byte("</Адрес>\n"), account...), 1)
	noop := newSigning(t, "Unused").verifier()
	t.Run("the example as published", func(t *testing.T) {
		expect(t, archive.Check(zipOf(t, file{reqName, req}, file{transName, trans}), svc, noop), archive.ValidationError, "EPGU-A1", reqName, "line 86", "Адрес")
	})
	t.Run("the example in the schema's order", func(t *testing.T) {
		expect(t, archive.Check(zipOf(t, file{reqName, fixed}, file{transName, trans}), svc, noop), archive.FilesVerificationSuccess, "")
	})
	t.Run("a target the service does not have", func(t *testing.T) {
		expect(t, archive.Check(zipOf(t, file{reqName, fixed}, file{transName, wrongTarget}), svc, noop), archive.ValidationError, "EPGU-A1", transName, "FRGUTargetId")
	})
	t.Run("the transport file left out", func(t *testing.T) {
		expect(t, archive.Check(zipOf(t, file{reqName, fixed}), svc, noop), archive.ReqNotFound, "EPGU-A1", "trans_*.xml")
	})
	t.Run("two business files", func(t *testing.T) {
		expect(t, archive.Check(zipOf(t, file{reqName, fixed}, file{"req_other.xml", fixed}, file{transName, trans}), svc, noop), archive.InvalidFilesStructure, "EPGU-2.1.3", "req_*.xml")
	})
}
