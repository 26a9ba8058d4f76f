package source

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"
)

// A submission made of a great many tiny parts (each costing header parsing
// and allocations, far more per byte than a file) is refused once it has
// more parts than our form can send, and nothing is stored.
func TestTooManyParts(t *testing.T) {
	e := newEnv(t)
	c := e.client()
	c.newCodename()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	mw.WriteField("message", "a report followed by many junk parts")
	for range maxParts + 1 {
		mw.WriteField("x", "")
	}
	mw.Close()
	req, _ := http.NewRequest("POST", e.ts.URL+"/report", &b)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	expectProblem(t, c.do(req), http.StatusBadRequest, "Nothing was saved")
	e.expectNothingStored()
	assertNoBlobs(t, e.dir)
}
