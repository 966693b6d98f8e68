package schema

/*
#cgo pkg-config: libxml-2.0
#include <stdlib.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>

#define SHEP_MAX_ERRORS 16

typedef struct {
	int line;
	char *message;
	char *path;
} shep_error;

typedef struct {
	shep_error errors[SHEP_MAX_ERRORS];
	int count;
	int dropped;
	int has_dtd;
} shep_result;

static void shep_collect(void *data, xmlErrorPtr e) {
	shep_result *r = (shep_result *)data;
	if (e == NULL || e->level == XML_ERR_WARNING) {
		return;
	}
	if (r->count >= SHEP_MAX_ERRORS) {
		r->dropped++;
		return;
	}
	shep_error *out = &r->errors[r->count++];
	out->line = e->line;
	out->message = e->message ? strdup(e->message) : NULL;
	out->path = NULL;
	if (e->node != NULL) {
		xmlChar *p = xmlGetNodePath((xmlNodePtr)e->node);
		if (p != NULL) {
			out->path = strdup((const char *)p);
			xmlFree(p);
		}
	}
}

static void shep_free_result(shep_result *r) {
	for (int i = 0; i < r->count; i++) {
		free(r->errors[i].message);
		free(r->errors[i].path);
	}
	r->count = 0;
}

static xmlSchemaPtr shep_compile(const char *path, shep_result *r) {
	xmlSetStructuredErrorFunc(r, shep_collect);
	xmlSchemaParserCtxtPtr pc = xmlSchemaNewParserCtxt(path);
	xmlSchemaPtr s = NULL;
	if (pc != NULL) {
		xmlSchemaSetParserStructuredErrors(pc, shep_collect, r);
		s = xmlSchemaParse(pc);
		xmlSchemaFreeParserCtxt(pc);
	}
	xmlSetStructuredErrorFunc(NULL, NULL);
	return s;
}

static const xmlChar *XSI = (const xmlChar *)"http://www.w3.org/2001/XMLSchema-instance";

// Business data is opaque to the gateway: drop the content of every unqualified element
// with the given local name, and its xsi:type, which may name a type only the owner knows.
static void shep_make_opaque(xmlNodePtr n, const xmlChar *name) {
	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE) {
			continue;
		}
		if (n->ns == NULL && xmlStrEqual(n->name, name)) {
			xmlAttrPtr a = n->properties;
			while (a != NULL) {
				xmlAttrPtr next = a->next;
				if (a->ns != NULL && xmlStrEqual(a->ns->href, XSI) && xmlStrEqual(a->name, (const xmlChar *)"type")) {
					xmlRemoveProp(a);
				}
				a = next;
			}
			xmlNodePtr c = n->children;
			while (c != NULL) {
				xmlNodePtr next = c->next;
				xmlUnlinkNode(c);
				xmlFreeNode(c);
				c = next;
			}
			continue;
		}
		shep_make_opaque(n->children, name);
	}
}

static int shep_validate(xmlSchemaPtr s, const char *buf, int len, const char *opaque, shep_result *r) {
	// The thread-local handler catches parser errors; this call runs on one OS thread throughout.
	xmlSetStructuredErrorFunc(r, shep_collect);
	// NONET: never fetch anything a message points at. Entities are not substituted (no NOENT).
	xmlDocPtr doc = xmlReadMemory(buf, len, "message", NULL, XML_PARSE_NONET);
	int rc = -1;
	if (doc != NULL) {
		if (doc->intSubset != NULL) {
			r->has_dtd = 1;
		}
		if (opaque != NULL) {
			shep_make_opaque(xmlDocGetRootElement(doc), (const xmlChar *)opaque);
		}
		xmlSchemaValidCtxtPtr vc = xmlSchemaNewValidCtxt(s);
		if (vc != NULL) {
			xmlSchemaSetValidStructuredErrors(vc, shep_collect, r);
			rc = xmlSchemaValidateDoc(vc, doc);
			xmlSchemaFreeValidCtxt(vc);
		}
		xmlFreeDoc(doc);
	}
	xmlSetStructuredErrorFunc(NULL, NULL);
	return rc;
}
*/
import "C"

import (
	"fmt"
	"runtime"
	"unsafe"
)

func init() { C.xmlInitParser() }

type cSchema = C.xmlSchema

// compileXSD parses the schema at path. The returned pointer is read-only afterwards and safe to
// share between goroutines; each validation gets its own context.
func compileXSD(path string) (*cSchema, error) {
	cpath := C.CString(path)
	defer C.free(unsafe.Pointer(cpath))
	var r C.shep_result
	runtime.LockOSThread()
	s := C.shep_compile(cpath, &r)
	runtime.UnlockOSThread()
	errs := collected(&r)
	C.shep_free_result(&r)
	if s == nil {
		if len(errs) == 0 {
			return nil, fmt.Errorf("compile %s: libxml2 gave no reason", path)
		}
		return nil, fmt.Errorf("compile %s: line %d: %s", path, errs[0].Line, errs[0].Message)
	}
	return s, nil
}

// validateXSD checks doc against s and returns what libxml2 reported, in document order.
func validateXSD(s *cSchema, doc []byte, opaque string) (violations []Violation, hasDTD bool) {
	if len(doc) == 0 {
		return []Violation{{Kind: Syntax, Line: 1, Message: "the message is empty"}}, false
	}
	var copaque *C.char
	if opaque != "" {
		copaque = C.CString(opaque)
		defer C.free(unsafe.Pointer(copaque))
	}
	var r C.shep_result
	runtime.LockOSThread()
	rc := C.shep_validate(s, (*C.char)(unsafe.Pointer(&doc[0])), C.int(len(doc)), copaque, &r)
	runtime.UnlockOSThread()
	violations = collected(&r)
	C.shep_free_result(&r)
	if rc != 0 && len(violations) == 0 {
		violations = []Violation{{Line: 1, Message: "libxml2 refused the document without a reason"}}
	}
	return violations, r.has_dtd != 0
}

func collected(r *C.shep_result) []Violation {
	out := make([]Violation, 0, int(r.count))
	for i := 0; i < int(r.count); i++ {
		e := r.errors[i]
		v := Violation{Line: int(e.line)}
		if e.message != nil {
			v.Message = C.GoString(e.message)
		}
		if e.path != nil {
			v.Path = C.GoString(e.path)
		}
		out = append(out, v.normalised())
	}
	if r.dropped > 0 && len(out) > 0 {
		// Only so many are kept; the note takes the kind and place of the last one kept.
		last := out[len(out)-1]
		out = append(out, Violation{Kind: last.Kind, Line: last.Line, Message: fmt.Sprintf("%d more errors not shown", int(r.dropped))})
	}
	return out
}
