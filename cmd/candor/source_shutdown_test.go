package main

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/candor-drop/candor/store"
)

// An upload still running when the shutdown grace period after SIGTERM
// ends is discarded whole: the report item already stored for it is
// rolled back before the store is closed, never left half-stored.
func TestSourceShutdownDiscardsUnfinishedUpload(t *testing.T) {
	_, data, _ := sourceInstance(t)
	old := shutdownGrace
	shutdownGrace = 300 * time.Millisecond
	t.Cleanup(func() { shutdownGrace = old })

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out, logs bytes.Buffer
	stdout := &lockedWriter{w: &out}
	served := make(chan error, 1)
	go func() {
		served <- serve(ctx, serveOptions{data: data, tor: "off", sourceAddr: "127.0.0.1:0", journalistAddr: "127.0.0.1:0"},
			stdout, newLogger(&lockedWriter{w: &logs}))
	}()
	addrRE := regexp.MustCompile(`source interface:\s+(http://\S+?)/?\n`)
	var base string
	for deadline := time.Now().Add(time.Minute); base == ""; time.Sleep(10 * time.Millisecond) {
		stdout.mu.Lock()
		if m := addrRE.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		stdout.mu.Unlock()
		if time.Now().After(deadline) {
			t.Fatal("serve did not start")
		}
	}
	c := sourceSession(t, base)

	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("message", "shutdown-report")
		h := make(textproto.MIMEHeader)
		h.Set("Content-Disposition", `form-data; name="file"; filename="f.bin"`)
		fw, _ := mw.CreatePart(h)
		fw.Write(bytes.Repeat([]byte("x"), 1<<20)) // and never finish
	}()
	req, _ := http.NewRequest("POST", base+"/report", pr)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	uploaded := make(chan struct{})
	go func() {
		defer close(uploaded)
		if resp, err := c.Do(req); err == nil {
			resp.Body.Close()
		}
	}()

	// Wait until the report item is stored (its blob has its final name)
	// and the file's blob is being written.
	blobs := filepath.Join(data, "blobs")
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		final, tmp := 0, 0
		entries, _ := os.ReadDir(blobs)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp") {
				tmp++
			} else {
				final++
			}
		}
		if final > 0 && tmp > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the upload did not get going")
		}
	}
	cancel() // SIGTERM
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(time.Minute):
		t.Fatal("serve did not return after shutdown")
	}
	pw.CloseWithError(io.ErrClosedPipe)
	<-uploaded

	st, err := store.Open(data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srcs, err := st.Sources(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, src := range srcs {
		items, _ := st.Items(context.Background(), src.ID)
		for _, it := range items {
			t.Errorf("item %s (%s) of the unfinished upload is stored", it.ID, it.Kind)
		}
	}
	if len(srcs) != 0 {
		t.Errorf("%d sources left by the unfinished first upload", len(srcs))
	}
}
