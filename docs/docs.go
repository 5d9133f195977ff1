// Package docs holds the project's documentation; the API reference is
// embedded so that the server can publish it at /api/doc from the very text
// readers find in docs/api.md.
package docs

import _ "embed"

// APIReference is docs/api.md, the complete /api reference, in Markdown.
//
//go:embed api.md
var APIReference []byte
