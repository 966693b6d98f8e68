package gateway

import (
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/beevik/etree"

	shepfixtures "github.com/shepconf/shepconf/fixtures/shep"
)

// The service descriptions of the SOAP channels (fixtures/shep/wsdl): clients that load the WSDL from the
// endpoint, as generated .NET and Java clients and zeep do, get ours, with the real gateway's names.
const (
	syncWSDL  = "sync-channel.wsdl"
	asyncWSDL = "async-channel.wsdl"
)

const (
	wsdlNS     = "http://schemas.xmlsoap.org/wsdl/"
	wsdlSOAPNS = "http://schemas.xmlsoap.org/wsdl/soap/"
	xsdNS      = "http://www.w3.org/2001/XMLSchema"
)

// serveContract answers GET <endpoint>?wsdl (also ?WSDL and ?singleWsdl) with the channel's WSDL,
// GET <endpoint>?wsdl=<name> with a WSDL it imports and GET <endpoint>?xsd=<path> with a schema. Every
// address in them is rewritten to the endpoint the client called, so the description works behind
// whatever host, port and path the client uses. It reports false when the request asks for none of
// them, and the caller answers as for any other GET.
func serveContract(w http.ResponseWriter, r *http.Request, entry string) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	for key, values := range r.URL.Query() {
		value := ""
		if len(values) > 0 {
			value = values[0]
		}
		switch strings.ToLower(key) {
		case "wsdl", "singlewsdl": // ?singleWsdl gets the same document; its schemas are linked, not inlined
			if value == "" {
				value = entry
			}
			serveDescription(w, r, shepfixtures.WSDL(), value, wsdlDocument)
			return true
		case "xsd":
			serveDescription(w, r, shepfixtures.XSD(), value, xsdDocument)
			return true
		}
	}
	return false
}

type documentKind int

const (
	wsdlDocument documentKind = iota
	xsdDocument
)

// serveDescription serves one document of the fixture tree fsys with its references made absolute.
// Only names inside the tree are served: fs.ValidPath refuses "..", absolute and empty paths.
func serveDescription(w http.ResponseWriter, r *http.Request, fsys fs.FS, name string, kind documentKind) {
	var b []byte
	err := fs.ErrNotExist
	if fs.ValidPath(name) && name != "." {
		b, err = fs.ReadFile(fsys, name)
	}
	if err != nil {
		http.Error(w, "no such service description: "+name+"; GET ?wsdl for the channel's WSDL", http.StatusNotFound)
		return
	}
	doc := etree.NewDocument()
	if err := doc.ReadFromBytes(b); err != nil {
		http.Error(w, "service description "+name+": "+err.Error(), http.StatusInternalServerError)
		return
	}
	endpoint := (&url.URL{Scheme: schemeOf(r), Host: r.Host, Path: r.URL.Path}).String()
	rewriteReferences(doc.Root(), endpoint, name, kind)
	doc.Indent(2)
	out, err := doc.WriteToBytes()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	if r.Method == http.MethodHead {
		return
	}
	_, _ = w.Write(out)
}

func schemeOf(r *http.Request) string {
	if r.TLS != nil {
		return "https"
	}
	return "http"
}

// rewriteReferences points every reference of a document at the endpoint: the service address at the
// endpoint itself, imported WSDL at ?wsdl=<name>, schemas at ?xsd=<path>. name is the document's
// path in its tree, which relative references are resolved against. A reference that leaves the
// fixtures is left as written (the tests make sure there is none).
func rewriteReferences(e *etree.Element, endpoint, name string, kind documentKind) {
	dir := path.Dir(name)
	for _, el := range append([]*etree.Element{e}, e.FindElements("//*")...) {
		ns := el.NamespaceURI()
		switch {
		case ns == wsdlSOAPNS && el.Tag == "address":
			el.CreateAttr("location", endpoint)
		case ns == wsdlNS && el.Tag == "import":
			if loc := el.SelectAttrValue("location", ""); loc != "" && kind == wsdlDocument {
				if p, ok := inTree(path.Join(dir, loc)); ok {
					el.CreateAttr("location", endpoint+"?wsdl="+p)
				}
			}
		case ns == xsdNS && (el.Tag == "import" || el.Tag == "include" || el.Tag == "redefine"):
			loc := el.SelectAttrValue("schemaLocation", "")
			if loc == "" {
				continue
			}
			// A WSDL names its schemas as ../xsd/<path> (fixtures/shep/wsdl beside fixtures/shep/xsd).
			p := path.Join(dir, loc)
			if kind == wsdlDocument {
				if p = path.Join("wsdl", dir, loc); !strings.HasPrefix(p, "xsd/") {
					continue
				}
				p = strings.TrimPrefix(p, "xsd/")
			}
			if p, ok := inTree(p); ok {
				el.CreateAttr("schemaLocation", endpoint+"?xsd="+p)
			}
		}
	}
}

// inTree is a cleaned relative path that stays inside a fixture tree.
func inTree(p string) (string, bool) {
	p = path.Clean(p)
	return p, fs.ValidPath(p) && p != "."
}
