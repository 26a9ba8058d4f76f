package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
	"github.com/candor-drop/candor/store"
)

// addTestSource stores a source and n reports encrypted to sub.
func addTestSource(t *testing.T, data string, sub *crypto.PrivateKey, n int) (*store.Source, *crypto.PrivateKey, []string) {
	t.Helper()
	var src *store.Source
	var ids []string
	key, err := crypto.GenerateSubmissionKey("source", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	withStore(t, data, func(st *store.Store) {
		ctx := context.Background()
		d, _ := crypto.NewDesignation()
		src, err = st.CreateSource(ctx, randomHex(t, 32), key.Public().Bytes(), d)
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < n; i++ {
			ct, _ := crypto.EncryptBytes([]byte("report"), sub.Public())
			it, err := st.AddItem(ctx, store.NewItem{SourceID: src.ID, Kind: store.KindMessage, Fingerprints: []string{sub.Fingerprint()}},
				func(w io.Writer) error { _, err := w.Write(ct); return err })
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, it.ID)
		}
	})
	return src, key, ids
}

func randomHex(t *testing.T, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

func TestExportCommand(t *testing.T) {
	data, sub := newTestInstance(t)
	_, _, ids := addTestSource(t, data, sub, 3)
	serverKey, err := loadSigningKey(data)
	if err != nil {
		t.Fatal(err)
	}
	outDir := t.TempDir()
	out := filepath.Join(outDir, "export.tar")
	if msg, err := runCmd("export", "--data", data, "--out", out); err != nil || !strings.Contains(msg, "3 items") {
		t.Fatalf("export: %v %s", err, msg)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	er, err := bundle.ReadExport(f, serverKey.Public())
	if err != nil {
		t.Fatalf("the exported bundle does not verify with the server key: %v", err)
	}
	n := 0
	for {
		_, rd, err := er.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, rd)
		n++
	}
	f.Close()
	if n != len(ids) {
		t.Fatalf("%d items in the bundle, want %d", n, len(ids))
	}
	withStore(t, data, func(st *store.Store) {
		if its, _ := st.UnexportedItems(context.Background()); len(its) != 0 {
			t.Fatal("items not marked exported")
		}
	})

	// Nothing new: an error, and no file.
	out2 := filepath.Join(outDir, "again.tar")
	if _, err := runCmd("export", "--data", data, "--out", out2); err == nil {
		t.Fatal("an empty export succeeded")
	}
	// An existing file is never overwritten.
	before, _ := os.ReadFile(out)
	if _, err := runCmd("export", "--data", data, "--out", out, "--all"); err == nil {
		t.Fatal("export overwrote an existing file")
	}
	if after, _ := os.ReadFile(out); !bytes.Equal(before, after) {
		t.Fatal("existing file changed")
	}
	if names := dirNames(t, outDir); len(names) != 1 {
		t.Fatalf("files left behind: %v", names)
	}
	// --all exports again.
	if _, err := runCmd("export", "--data", data, "--out", out2, "--all"); err != nil {
		t.Fatal(err)
	}

	// A failure part-way (a blob missing) leaves no file and marks nothing.
	_, _, more := addTestSource(t, data, sub, 2)
	blobs, _ := filepath.Glob(filepath.Join(data, "blobs", "[0-9a-f]*"))
	if len(blobs) == 0 {
		t.Fatal("no blob files found")
	}
	for _, b := range blobs {
		os.Remove(b)
	}
	out3 := filepath.Join(outDir, "broken.tar")
	if _, err := runCmd("export", "--data", data, "--out", out3); err == nil {
		t.Fatal("export with a missing blob succeeded")
	}
	if names := dirNames(t, outDir); len(names) != 2 {
		t.Fatalf("a failed export left files: %v", names)
	}
	withStore(t, data, func(st *store.Store) {
		its, _ := st.UnexportedItems(context.Background())
		if len(its) != len(more) {
			t.Fatalf("a failed export marked items exported: %d new left, want %d", len(its), len(more))
		}
	})
}

func TestApplyRepliesCommand(t *testing.T) {
	data, sub := newTestInstance(t)
	src, srcKey, _ := addTestSource(t, data, sub, 1)
	rk, _ := crypto.GenerateSigningKey()

	ct, _ := crypto.EncryptBytes([]byte("we are on it"), srcKey.Public(), sub.Public())
	sum := sha256.Sum256(ct)
	replyID := strings.Repeat("ab", 16)
	m := &bundle.ReplyManifest{BundleID: strings.Repeat("cd", 16), Day: "2026-03-10",
		Replies:  []bundle.Reply{{ID: replyID, SourceID: src.ID, Size: int64(len(ct)), SHA256: hex.EncodeToString(sum[:]), Fingerprints: []string{sub.Fingerprint()}}},
		Statuses: []bundle.StatusChange{{ID: strings.Repeat("ef", 16), SourceID: src.ID, Status: store.StatusInReview}}}
	var buf bytes.Buffer
	if err := bundle.WriteReply(&buf, m, rk, func(string) (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(ct)), nil }); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "replies.tar")
	os.WriteFile(file, buf.Bytes(), 0o600)

	// Not pinned yet: refused with a hint, nothing changed.
	_, err := runCmd("apply-replies", "--data", data, file)
	var h *hintError
	if err == nil || !strings.Contains(err.Error(), "Nothing was changed") || !asHint(err, &h) || !strings.Contains(h.hint, "review-key add") {
		t.Fatalf("unpinned bundle: %v", err)
	}
	keyFile := filepath.Join(t.TempDir(), "rk")
	os.WriteFile(keyFile, []byte(rk.Public().String()), 0o600)
	if _, err := runCmd("review-key", "add", "--data", data, keyFile); err != nil {
		t.Fatal(err)
	}
	// Tampered: refused, nothing changed.
	bad := bytes.Clone(buf.Bytes())
	i := bytes.Index(bad, ct)
	bad[i+10] ^= 1
	badFile := filepath.Join(t.TempDir(), "bad.tar")
	os.WriteFile(badFile, bad, 0o600)
	if _, err := runCmd("apply-replies", "--data", data, badFile); err == nil {
		t.Fatal("tampered bundle applied")
	}
	withStore(t, data, func(st *store.Store) {
		if _, err := st.Item(context.Background(), replyID); err == nil {
			t.Fatal("a refused bundle stored its reply")
		}
	})

	out, err := runCmd("apply-replies", "--data", data, file)
	if err != nil || !strings.Contains(out, "1 replies added") || !strings.Contains(out, "1 case statuses set") {
		t.Fatalf("apply: %v %s", err, out)
	}
	out, err = runCmd("apply-replies", "--data", data, file)
	if err != nil || !strings.Contains(out, "applied before") {
		t.Fatalf("apply twice: %v %s", err, out)
	}
	withStore(t, data, func(st *store.Store) {
		s, _ := st.Source(context.Background(), src.ID)
		its, _ := st.Items(context.Background(), src.ID)
		if s.Status != store.StatusInReview || len(its) != 2 {
			t.Fatalf("after apply: status %q, %d items", s.Status, len(its))
		}
	})
}

func asHint(err error, h **hintError) bool {
	for e := err; e != nil; {
		if x, ok := e.(*hintError); ok {
			*h = x
			return true
		}
		u, ok := e.(interface{ Unwrap() error })
		if !ok {
			return false
		}
		e = u.Unwrap()
	}
	return false
}
