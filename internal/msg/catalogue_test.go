package msg

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"

	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const importPath = "github.com/shepconf/shepconf/internal/msg"

// formatsInModule is every format given to F or Errorf in the module's Go files, with where it is
// given. A format that is not a string literal is reported as a problem: it could not be translated.
func formatsInModule(t *testing.T) (map[string][]string, []string) {
	t.Helper()
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	found := map[string][]string{}
	var problems []string
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || d.Name() == "out") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		name := ""
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == importPath {
				name = "msg"
				if imp.Name != nil {
					name = imp.Name.Name
				}
			}
		}
		if name == "" {
			return nil
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "F" && sel.Sel.Name != "Errorf") || len(call.Args) == 0 {
				return true
			}
			if id, ok := sel.X.(*ast.Ident); !ok || id.Name != name {
				return true
			}
			at := fset.Position(call.Pos())
			at.Filename, _ = filepath.Rel(root, at.Filename)
			s, ok := literal(call.Args[0])
			if !ok {
				problems = append(problems, at.String()+": the format is not a string literal, so it has no translation; write it out, or use msg.Raw for a value")
				return true
			}
			found[s] = append(found[s], at.String())
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return found, problems
}

// literal is the string a literal, or a sum of literals split over lines, spells.
func literal(e ast.Expr) (string, bool) {
	switch x := e.(type) {
	case *ast.BasicLit:
		if x.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(x.Value)
		return s, err == nil
	case *ast.BinaryExpr:
		a, ok := literal(x.X)
		b, ok2 := literal(x.Y)
		return a + b, ok && ok2 && x.Op == token.ADD
	case *ast.ParenExpr:
		return literal(x.X)
	}
	return "", false
}

var verbRE = regexp.MustCompile(`%(\[\d+\])?[-+# 0]*\d*(\.\d+)?[a-zA-Z%]`)

// verbs is the multiset of a format's verbs, explicit indexes dropped, "%%" left out.
func verbs(format string) []string {
	var out []string
	for _, v := range verbRE.FindAllString(format, -1) {
		if v == "%%" {
			continue
		}
		out = append(out, regexp.MustCompile(`^%\[\d+\]`).ReplaceAllString(v, "%"))
	}
	slices.Sort(out)
	return out
}

// Every message of the module has a translation in every language, with the same verbs; the
// catalogue holds no translation of a message that no longer exists.
func TestEveryMessageIsTranslated(t *testing.T) {
	found, problems := formatsInModule(t)
	for _, p := range problems {
		t.Error(p)
	}
	if len(found) < 100 {
		t.Fatalf("found %d messages in the module: the scan is broken", len(found))
	}
	for _, lang := range Languages {
		missing := 0
		for format, at := range found {
			tr, ok := catalogue[lang][format]
			switch {
			case !ok || strings.TrimSpace(tr) == "":
				missing++
				if missing <= 20 {
					t.Errorf("%s: no %s translation of %q: add it to internal/msg/%s.yaml", at[0], lang, format, lang)
				}
			case !slices.Equal(verbs(tr), verbs(format)):
				t.Errorf("%s.yaml: the translation of %q has verbs %v, the message %v: keep the same verbs (reorder them with %%[n]v)", lang, format, verbs(tr), verbs(format))
			}
		}
		if missing > 20 {
			t.Errorf("%s: %d messages in all lack a translation", lang, missing)
		}
		for format := range catalogue[lang] {
			if _, ok := found[format]; !ok {
				t.Errorf("%s.yaml: %q is no message of the module any more: remove it, or give its new English", lang, format)
			}
		}
	}
}
