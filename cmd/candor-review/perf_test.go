package main

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

// TestMakePerfFixtures writes the inputs of the import benchmark in
// docs/performance.md; it does nothing unless CANDOR_REVIEW_PERF names an
// output directory. CANDOR_REVIEW_PERF_MIB sets the attachment total
// (default 1024), in attachments of 64 MiB.
//
//	DIR/home             a candor-review home (passphrase in DIR/pass) trusting DIR's server key
//	DIR/large.bundle     the attachments
//	DIR/small.bundle     1,000 small reports
//	DIR/ct-large/*.pgp   the same ciphertexts, for gpg --decrypt-files
//	DIR/ct-small/*.pgp
func TestMakePerfFixtures(t *testing.T) {
	dir := os.Getenv("CANDOR_REVIEW_PERF")
	if dir == "" {
		t.Skip("fixture generator for docs/performance.md, not a test: set CANDOR_REVIEW_PERF=DIR to run it")
	}
	totalMiB := 1024
	if s := os.Getenv("CANDOR_REVIEW_PERF_MIB"); s != "" {
		totalMiB, _ = strconv.Atoi(s)
	}
	pass := []byte("perf passphrase")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(dir, 0o700))
	must(os.WriteFile(filepath.Join(dir, "pass"), append(pass, '\n'), 0o600))
	home := filepath.Join(dir, "home")
	_, err := workspace.Init(home, workspace.InitOptions{Passphrase: pass})
	must(err)
	h, _ := workspace.Open(home)
	priv, err := h.Unlock(pass)
	must(err)
	server, _ := crypto.GenerateSigningKey()
	_, err = h.Trust(server.Public().String(), false)
	must(err)
	src, _ := crypto.GenerateSubmissionKey("source", crypto.ProfileGnuPG)
	srcID := fmt.Sprintf("%032x", 1)
	sources := []bundle.Source{{ID: srcID, Designation: "perf source", PublicKey: src.Public().Armored(), Status: "received", StatusDay: "2026-11-25"}}

	write := func(name, ctDir, kind string, n int, plain func(i int) io.Reader) {
		must(os.MkdirAll(filepath.Join(dir, ctDir), 0o700))
		m := &bundle.ExportManifest{BundleID: fmt.Sprintf("%032x", n), Day: "2026-11-25", Instance: "perf", Sources: sources}
		for i := 0; i < n; i++ {
			id := fmt.Sprintf("%08x%024x", n, i)
			p := filepath.Join(dir, ctDir, id+".pgp")
			f, err := os.Create(p)
			must(err)
			hs := sha256.New()
			cw := &countWriter{}
			ew, err := crypto.Encrypt(io.MultiWriter(f, hs, cw), priv.Public())
			must(err)
			_, err = io.Copy(ew, plain(i))
			must(err)
			must(ew.Close())
			must(f.Close())
			m.Items = append(m.Items, bundle.Item{ID: id, SourceID: srcID, Kind: kind, Day: "2026-11-25", Size: cw.n, SHA256: hex.EncodeToString(hs.Sum(nil)), Fingerprints: []string{priv.Fingerprint()}})
		}
		out, err := os.Create(filepath.Join(dir, name))
		must(err)
		must(bundle.WriteExport(out, m, server, func(it bundle.Item) (io.ReadCloser, error) {
			return os.Open(filepath.Join(dir, ctDir, it.ID+".pgp"))
		}))
		must(out.Close())
	}
	const attMiB = 64
	write("large.bundle", "ct-large", "file", max(1, totalMiB/attMiB), func(i int) io.Reader {
		hdr := fmt.Sprintf("{\"version\":1,\"filename\":\"video-%d.mp4\",\"content_type\":\"video/mp4\"}\n", i)
		return io.MultiReader(bytes.NewReader([]byte(hdr)), io.LimitReader(rand.Reader, attMiB<<20))
	})
	write("small.bundle", "ct-small", "message", 1000, func(i int) io.Reader {
		b, _ := json.Marshal(map[string]any{"version": 1, "category": "corruption", "officers": "PC 1", "when": "yesterday", "where": "station",
			"message": fmt.Sprintf("Report %d: %s", i, bytes.Repeat([]byte("words "), 150))})
		return bytes.NewReader(b)
	})
}

type countWriter struct{ n int64 }

func (c *countWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }
