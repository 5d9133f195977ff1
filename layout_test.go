package xerochat_test

import (
	"encoding/json"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/xerochat/xerochat"

// allowedImports says which of the module's packages each layer may import
// (in its non-test code). Dependencies point inward: the root imports
// nothing of ours, the layers import the root, and only cmd/xerochat wires
// them together. A package missing from the table fails the test, so a
// new layer must take its place here (and in the README's Architecture).
var allowedImports = map[string][]string{
	"":                      {},
	"app":                   {""},
	"api":                   {"", "app", "docs", "httpserver"},
	"docs":                  {},
	"metrics":               {""},
	"httpserver":            {""},
	"messenger":             {"", "httpserver"},
	"sqlstore":              {""},
	"sqlstore/sqlstoretest": {"sqlstore"},
	"graph":                 {""},
	"graph/fakegraph":       {""},
	"demo":                  {"", "app", "graph/fakegraph"},
	"web":                   {"", "app", "httpserver"},
	"xerochattest":          {"", "api", "app", "graph", "graph/fakegraph", "httpserver", "messenger", "sqlstore", "sqlstore/sqlstoretest", "web"},
	"cmd/xerochat":          {"", "api", "app", "demo", "graph", "graph/fakegraph", "httpserver", "messenger", "metrics", "sqlstore", "web"},
}

// TestImportRules holds the layering with `go list`: the root imports only
// the standard library, no layer imports another sideways except as the
// table allows, and only cmd/xerochat wires.
func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-json=ImportPath,Imports,Standard", "-deps", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	seen := 0
	for dec.More() {
		var p struct {
			ImportPath string
			Imports    []string
			Standard   bool
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		rel, ours := relative(p.ImportPath)
		if !ours {
			continue
		}
		seen++
		allowed, known := allowedImports[rel]
		if !known {
			t.Errorf("package %s has no place in the layering; add it to allowedImports and the README", p.ImportPath)
			continue
		}
		for _, imp := range p.Imports {
			irel, internal := relative(imp)
			switch {
			case internal && !slices.Contains(allowed, irel):
				t.Errorf("%s imports %s: not allowed (allowed: %q)", p.ImportPath, imp, allowed)
			case rel == "" && !internal && strings.Contains(strings.Split(imp, "/")[0], "."):
				t.Errorf("the root package imports %s: it may import only the standard library", imp)
			}
		}
	}
	if seen < len(allowedImports) {
		t.Errorf("go list named %d of the module's packages, the table %d: a layer is gone; update the table", seen, len(allowedImports))
	}
}

// relative returns the path of one of the module's packages relative to
// the module ("" for the root), and whether it is one.
func relative(importPath string) (string, bool) {
	if importPath == module {
		return "", true
	}
	rel, ok := strings.CutPrefix(importPath, module+"/")
	return rel, ok
}
