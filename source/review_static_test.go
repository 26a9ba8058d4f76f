package source

import (
	"net/http"
	"testing"
)

// Error answers of the static file server (missing file, bad range) carry
// the same headers as every other page: net/http's FileServer deletes
// Cache-Control before writing its own error text.
func TestSecurityHeadersOnStaticErrors(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	badRange := mustReq("GET", e.ts.URL+"/static/style.css")
	badRange.Header.Set("Range", "bytes=999999999-")
	for name, p := range map[string]page{
		"missing":   c.get("/static/nope.css"),
		"bad range": c.do(badRange),
	} {
		if p.status < 400 {
			t.Errorf("%s: status %d, want an error", name, p.status)
		}
		for k, v := range map[string]string{
			"Cache-Control":           "no-store",
			"Content-Security-Policy": contentSecurityPolicy,
			"Referrer-Policy":         "no-referrer",
			"X-Content-Type-Options":  "nosniff",
		} {
			if got := p.header.Get(k); got != v {
				t.Errorf("%s: %s = %q, want %q", name, k, got, v)
			}
		}
	}
	if p := c.get("/static/style.css"); p.status != http.StatusOK || p.header.Get("Cache-Control") != "no-store" {
		t.Errorf("style.css: %d, Cache-Control %q", p.status, p.header.Get("Cache-Control"))
	}
}
