package source

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// TestCanary submits a report and a file carrying unique strings, goes
// through login, replies, errors and logout, then checks that no file under
// the data directory (database, WAL, blobs, temporary files), no file in
// the temporary directory and no log line contains any of them, nor the
// codename or the file name.
func TestCanary(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	e := newEnv(t)
	c := e.client()

	canary := "CANARY-" + strings.ReplaceAll(rand16(t), "-", "")
	fileCanary := "FILECANARY-" + rand16(t)
	nameCanary := "NAMECANARY" + rand16(t) + ".txt"
	officerCanary := "OFFICERCANARY" + rand16(t)

	codename, _ := c.newCodename()
	// A large file, so that any spill to disk would show.
	big := bytes.Repeat([]byte(fileCanary+"\n"), 200000)
	p := c.submit(report{
		fields: map[string]string{"category": "violence", "officers": officerCanary, "when": canary, "where": canary, "message": "What happened: " + canary},
		files:  []filePart{{nameCanary, "text/plain", big}, {"second-" + nameCanary, "", []byte(fileCanary)}},
	})
	if p.status != 303 {
		t.Fatalf("submit: %d %s", p.status, p.body)
	}
	// Failed submissions with the canary: nothing of them may linger either.
	e.setSettings(func(s *store.Settings) { s.MaxUploadBytes = 1 << 20 })
	if p := c.submit(report{fields: map[string]string{"message": canary}, files: []filePart{{nameCanary, "", big}}}); p.status != 413 {
		t.Errorf("oversize submission: %d", p.status)
	}
	if p := c.submit(report{fields: map[string]string{"message": canary + "\xff"}}); p.status != 400 {
		t.Errorf("invalid UTF-8 submission: %d", p.status)
	}
	c.postForm("/logout", nil)
	c.postForm("/login", url.Values{"codename": {codename + " wrong"}})
	c.postForm("/login", url.Values{"codename": {codename}})
	e.addReply(codename, "reply "+canary)
	c.get("/history")
	c.postForm("/logout", nil)

	// Make sure the database has checkpointed nothing away from view: scan
	// while open (WAL present) and after close.
	needles := [][]byte{[]byte(canary), []byte(fileCanary), []byte(nameCanary), []byte(officerCanary), []byte(codename)}
	// The reply is encrypted too; its canary must not be on disk either.
	scanForBytes(t, e.dir, needles...)
	e.st.Close()
	scanForBytes(t, e.dir, needles...)
	scanMaybeEmpty(t, tmp, needles...)
	logs := e.logs.String()
	for _, n := range needles {
		if strings.Contains(logs, string(n)) {
			t.Errorf("log output contains %q", n)
		}
	}
	// The log must not carry a client address either.
	if strings.Contains(logs, "127.0.0.1") {
		t.Errorf("log output contains a client address")
	}
	// Each codename word alone is no canary (words are common), but the
	// source's lookup id must be what the database knows it by.
	id, _ := crypto.DeriveSource(codename, testPepper, testKDF)
	st, err := store.Open(e.dir, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.SourceByLookupID(context.Background(), id.LookupID); err != nil {
		t.Errorf("source not found by lookup id: %v", err)
	}
}

func rand16(t *testing.T) string {
	c, err := crypto.NewCodename()
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(c, " ", "")[:16]
}

func scanMaybeEmpty(t *testing.T, dir string, needles ...[]byte) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		for _, n := range needles {
			if bytes.Contains(b, n) {
				t.Errorf("%s contains %q", p, n)
			}
		}
		return nil
	})
}
