package source

import (
	"bytes"
	"io"
	"net/http"
	"testing"
	"time"
)

// An upload that stops delivering bytes is dropped after UploadStall and
// nothing of it is kept: a client trickling nothing cannot hold a
// connection and a half-made submission open forever.
func TestStalledUploadIsDropped(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.UploadStall = 300 * time.Millisecond })
	c := e.client()
	c.newCodename()
	ct, body := multipartBody(report{
		fields: map[string]string{"category": "corruption", "message": "A report that will stall."},
		files:  []filePart{{name: "big.bin", data: bytes.Repeat([]byte("x"), 1<<20)}},
	})
	pr, pw := io.Pipe()
	defer pw.Close()
	go func() {
		// Half the body, then silence (the pipe is never closed).
		pw.Write(body[:len(body)/2])
	}()
	req, _ := http.NewRequest("POST", e.ts.URL+"/report", pr)
	req.Header.Set("Content-Type", ct)
	req.ContentLength = int64(len(body))
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := c.c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("the server still holds a stalled upload after a minute")
	}
	e.expectNothingStored()
}
