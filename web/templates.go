package web

import (
	"html/template"
	"io/fs"
	"path"
	"strings"
	"time"
)

// parseTemplates parses every screen's template together with the layout,
// one set per screen, so that each defines its own "content".
func (s *Server) parseTemplates() map[string]*template.Template {
	funcs := template.FuncMap{
		// when shows a stored time in the server's zone; never-set times
		// read "never".
		"when": func(t time.Time) string {
			if t.IsZero() {
				return "never"
			}
			return t.In(s.Location).Format("2006-01-02 15:04 MST")
		},
		// dict builds a map for a sub-template's arguments.
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[kv[i].(string)] = kv[i+1]
			}
			return m
		},
		"zone": func() string { return s.Location.String() },
		"initial": func(name string) string {
			for _, r := range strings.TrimSpace(name) {
				return strings.ToUpper(string(r))
			}
			return "?"
		},
	}
	out := map[string]*template.Template{}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		panic(err)
	}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" {
			continue
		}
		out[base] = template.Must(template.New(base).Funcs(funcs).ParseFS(files, "templates/layout.html", n))
	}
	return out
}
