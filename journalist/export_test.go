package journalist

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
	"github.com/candor-drop/candor/store"
)

// readExport verifies a bundle with key and returns its manifest and blobs.
func readExport(b []byte, key crypto.VerifyKey) (*bundle.ExportManifest, map[string][]byte, error) {
	er, err := bundle.ReadExport(bytes.NewReader(b), key)
	if err != nil {
		return nil, nil, err
	}
	blobs := map[string][]byte{}
	for {
		it, rd, err := er.Next()
		if err == io.EOF {
			return er.Manifest, blobs, nil
		}
		if err != nil {
			return nil, nil, err
		}
		data, err := io.ReadAll(rd)
		if err != nil {
			return nil, nil, err
		}
		blobs[it.ID] = data
	}
}

func TestExportBundleVerifies(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	tok := e.token(c)
	s1, k1 := e.addSource()
	s2, _ := e.addSource()
	items := map[string]string{}
	for src, texts := range map[string][]string{s1.ID: {"report one", "attachment"}, s2.ID: {"report two"}} {
		for _, txt := range texts {
			items[e.addItem(src, txt).ID] = txt
		}
	}

	resp, b := e.apiCall("POST", "/api/v1/export", tok, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("export: %d %s", resp.StatusCode, b)
	}
	m, blobs, err := readExport(b, e.signing.Public())
	if err != nil {
		t.Fatalf("export bundle does not verify: %v", err)
	}
	if len(m.Items) != 3 || len(m.Sources) != 2 || len(blobs) != 3 {
		t.Fatalf("bundle holds %d items, %d sources", len(m.Items), len(m.Sources))
	}
	for id, ct := range blobs {
		pt, err := crypto.DecryptBytes(ct, e.sub)
		if err != nil || string(pt) != items[id] {
			t.Fatalf("item %s: %q, %v", id, pt, err)
		}
		if bytes.Contains(ct, []byte(items[id])) {
			t.Fatal("plaintext in the bundle")
		}
	}
	for _, s := range m.Sources {
		if s.ID == s1.ID {
			if s.Designation != s1.Designation || !strings.Contains(s.PublicKey, "BEGIN PGP PUBLIC KEY BLOCK") {
				t.Fatalf("source entry %+v", s)
			}
			pk, err := crypto.ParsePublicKey([]byte(s.PublicKey))
			if err != nil || pk.Fingerprint() != k1.Fingerprint() {
				t.Fatalf("source key in the bundle is not the source's: %v", err)
			}
		}
	}
	// Exported items are no longer new; a second export has nothing.
	srcs, _ := e.st.Sources(e.ctx)
	for _, s := range srcs {
		if s.NewCount != 0 {
			t.Fatalf("source still has %d new items after export", s.NewCount)
		}
	}
	resp, b = e.apiCall("POST", "/api/v1/export", tok, nil)
	if resp.StatusCode != 409 || errCode(t, b) != "nothing_to_export" {
		t.Fatalf("second export: %d %s", resp.StatusCode, b)
	}
	// A new item is new again; "all" re-exports everything; a selection only what is chosen.
	fresh := e.addItem(s2.ID, "later report")
	resp, b = e.apiCall("POST", "/api/v1/export", tok, nil)
	if m, _, err := readExport(b, e.signing.Public()); err != nil || len(m.Items) != 1 || m.Items[0].ID != fresh.ID {
		t.Fatalf("export of new items: %d %v", resp.StatusCode, err)
	}
	_, b = e.apiCall("POST", "/api/v1/export", tok, map[string]any{"all": true})
	if m, _, err := readExport(b, e.signing.Public()); err != nil || len(m.Items) != 4 {
		t.Fatalf("export all: %v", err)
	}
	_, b = e.apiCall("POST", "/api/v1/export", tok, map[string]any{"items": []string{fresh.ID}})
	if m, _, err := readExport(b, e.signing.Public()); err != nil || len(m.Items) != 1 || len(m.Sources) != 1 {
		t.Fatalf("export of a selection: %v", err)
	}

	// The web form gives the same kind of bundle.
	cl := e.client()
	e.loginWeb(cl, c)
	resp = e.postForm(cl, "/export", url.Values{"all": {"1"}})
	wb := []byte(body(t, resp))
	if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("web export: %d", resp.StatusCode)
	}
	if _, _, err := readExport(wb, e.signing.Public()); err != nil {
		t.Fatalf("web export bundle does not verify: %v", err)
	}
	// Exports are audited with counts.
	audit, _ := e.st.AuditLog(e.ctx, 0)
	n := 0
	for _, a := range audit {
		if a.Action == "export bundle" {
			n++
		}
	}
	if n != 5 {
		t.Fatalf("%d export entries in the audit log, want 5", n)
	}
}

func TestExportBundleTamperedDoesNotVerify(t *testing.T) {
	e := newEnv(t)
	tok := e.token(e.reviewer("alice", false))
	src, _ := e.addSource()
	it := e.addItem(src.ID, "a report long enough to be worth tampering with")
	_, b := e.apiCall("POST", "/api/v1/export", tok, nil)
	if _, _, err := readExport(b, e.signing.Public()); err != nil {
		t.Fatal(err)
	}
	ct, _, _ := e.st.OpenItem(e.ctx, it.ID)
	blob, _ := io.ReadAll(ct)
	ct.Close()

	t.Run("blob", func(t *testing.T) {
		bad := bytes.Clone(b)
		i := bytes.Index(bad, blob)
		if i < 0 {
			t.Fatal("blob not found in the bundle")
		}
		bad[i+len(blob)/2] ^= 1
		if _, _, err := readExport(bad, e.signing.Public()); !errors.Is(err, bundle.ErrCorrupt) {
			t.Fatalf("tampered blob: %v, want ErrCorrupt", err)
		}
	})
	t.Run("manifest", func(t *testing.T) {
		bad := bytes.Clone(b)
		i := bytes.Index(bad, []byte(src.Designation))
		if i < 0 {
			t.Fatal("designation not found in the bundle")
		}
		bad[i] ^= 0x20 // change the designation's case
		if _, _, err := readExport(bad, e.signing.Public()); !errors.Is(err, bundle.ErrSignature) {
			t.Fatalf("tampered manifest: %v, want ErrSignature", err)
		}
	})
	t.Run("other key", func(t *testing.T) {
		other, _ := crypto.GenerateSigningKey()
		if _, _, err := readExport(b, other.Public()); !errors.Is(err, bundle.ErrSignature) {
			t.Fatalf("verified against another key: %v", err)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		i := bytes.Index(b, blob)
		if _, _, err := readExport(b[:i+len(blob)/2], e.signing.Public()); err == nil {
			t.Fatal("truncated bundle verified")
		}
	})
}

func TestItemDownloadIsCiphertext(t *testing.T) {
	e := newEnv(t)
	c := e.reviewer("alice", false)
	src, _ := e.addSource()
	it := e.addItem(src.ID, "the secret report")
	tok := e.token(c)
	resp, b := e.apiCall("GET", "/api/v1/items/"+it.ID, tok, nil)
	if resp.StatusCode != 200 || bytes.Contains(b, []byte("the secret report")) {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	if pt, err := crypto.DecryptBytes(b, e.sub); err != nil || string(pt) != "the secret report" {
		t.Fatalf("downloaded item does not decrypt to the report: %v", err)
	}
	cl := e.client()
	e.loginWeb(cl, c)
	resp = e.get(cl, "/items/"+it.ID)
	if wb := body(t, resp); resp.StatusCode != 200 || wb != string(b) {
		t.Fatalf("web download: %d", resp.StatusCode)
	}
	if resp, b := e.apiCall("GET", "/api/v1/items/"+strings.Repeat("0", 32), tok, nil); resp.StatusCode != http.StatusNotFound || errCode(t, b) != "not_found" {
		t.Fatalf("unknown item: %d %s", resp.StatusCode, b)
	}
}

// BenchmarkExport measures writing a signed export bundle of 16 items of
// 1 MiB ciphertext each (the cost is reading blobs and hashing them).
func BenchmarkExport(b *testing.B) {
	e := newEnv(b)
	src, _ := e.addSource()
	blob := bytes.Repeat([]byte("x"), 1<<20)
	ct, _ := crypto.EncryptBytes(blob, e.sub.Public())
	for i := 0; i < 16; i++ {
		e.st.AddItem(e.ctx, store.NewItem{SourceID: src.ID, Kind: store.KindMessage, Fingerprints: []string{e.sub.Fingerprint()}}, func(w io.Writer) error { _, err := w.Write(ct); return err })
	}
	b.SetBytes(16 * int64(len(ct)))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := e.srv.Export(e.ctx, io.Discard, ExportSelection{All: true}); err != nil {
			b.Fatal(err)
		}
	}
}
