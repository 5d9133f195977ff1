package api

import (
	"bytes"
	"net/http"
	"sync"

	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"

	"github.com/xerochat/xerochat/docs"
)

// docPage renders the API reference (docs/api.md) as the HTML page the
// original served at /api/doc, once, on first use.
var docPage = sync.OnceValues(func() ([]byte, error) {
	md := goldmark.New(goldmark.WithExtensions(extension.GFM), goldmark.WithParserOptions(parser.WithAutoHeadingID()))
	var body bytes.Buffer
	if err := md.Convert(docs.APIReference, &body); err != nil {
		return nil, err
	}
	var page bytes.Buffer
	page.WriteString(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>xerochat API reference</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d2330}
pre,code{font:14px ui-monospace,monospace;background:#f3f4f7}pre{padding:.75rem;overflow-x:auto}
table{border-collapse:collapse}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left}</style>
</head><body>
`)
	page.Write(body.Bytes())
	page.WriteString("</body></html>\n")
	return page.Bytes(), nil
})

// serveDoc answers /api/doc: public, no key, HTML, as on the original.
func serveDoc(w http.ResponseWriter, r *http.Request) {
	page, err := docPage()
	if err != nil {
		writeError(w, http.StatusInternalServerError, "Internal server error")
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	if r.Method != http.MethodHead {
		w.Write(page)
	}
}
