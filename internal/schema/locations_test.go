package schema

import (
	"testing"
	"testing/fstest"
)

// A schema importing a document whose file name is in Cyrillic compiles and validates by it, as
// the schemas of real EPGU services need (SFR's ЗДП_2016-04-15.xsd imports ../ТипыВЗЛ_2014-01-01.xsd).
func TestImportOfACyrillicFileName(t *testing.T) {
	fsys := fstest.MapFS{
		"main/Заявление.xsd": {Data: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:example:types" targetNamespace="urn:example:main"
  elementFormDefault="qualified">
  <xs:import namespace="urn:example:types" schemaLocation="../Типы Общие.xsd"/>
  <xs:element name="Заявление" type="t:Код"/>
</xs:schema>`)},
		"Типы Общие.xsd": {Data: []byte(`<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:example:types">
  <xs:simpleType name="Код"><xs:restriction base="xs:string"><xs:pattern value="[0-9]{4}"/></xs:restriction></xs:simpleType>
</xs:schema>`)},
	}
	x, err := CompileXSD(fsys, "main/Заявление.xsd", "")
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	if v := x.Validate([]byte(`<Заявление xmlns="urn:example:main">1234</Заявление>`)); len(v) != 0 {
		t.Errorf("a valid document: %v", v)
	}
	if v := x.Validate([]byte(`<Заявление xmlns="urn:example:main">12a4</Заявление>`)); len(v) == 0 {
		t.Error("a document breaking the imported type passed")
	}
}
