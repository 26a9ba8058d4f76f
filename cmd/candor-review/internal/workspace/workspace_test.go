package workspace

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

var pass = []byte("correct horse battery staple")

type fixture struct {
	home   *Home
	priv   *crypto.PrivateKey
	server *crypto.SigningKey
	source *crypto.PrivateKey // a stand-in for a source's derived key
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "home")
	if _, err := Init(dir, InitOptions{Passphrase: pass}); err != nil {
		t.Fatal(err)
	}
	h, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := h.Unlock(pass)
	if err != nil {
		t.Fatal(err)
	}
	server, err := crypto.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Trust(server.Public().String(), false); err != nil {
		t.Fatal(err)
	}
	src, err := crypto.GenerateSubmissionKey("source", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{home: h, priv: priv, server: server, source: src}
}

// newFuzzFixture is newFixture without the passphrase work (iterated S2K
// is slow under fuzzing instrumentation): the key file is stored bare.
func newFuzzFixture(t testing.TB) *fixture {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "home")
	priv, err := crypto.GenerateSubmissionKey("fuzz", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	bare, err := priv.MarshalArmored(nil)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(dir, dirMode)
	os.WriteFile(filepath.Join(dir, submissionKeyFile), bare, fileMode)
	os.WriteFile(filepath.Join(dir, submissionPubFile), []byte(priv.Public().Armored()), fileMode)
	h, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	server, _ := crypto.GenerateSigningKey()
	if _, err := h.Trust(server.Public().String(), false); err != nil {
		t.Fatal(err)
	}
	src, _ := crypto.GenerateSubmissionKey("source", crypto.ProfileGnuPG)
	return &fixture{home: h, priv: priv, server: server, source: src}
}

const srcID = "5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a"

func hexID(n int) string { return strings.Repeat("0", 30) + hex.EncodeToString([]byte{byte(n)}) }

// bundleOf builds a signed export bundle with one item per ciphertext.
func (fx *fixture) bundleOf(t testing.TB, kinds []string, cts [][]byte) []byte {
	t.Helper()
	m := &bundle.ExportManifest{BundleID: hexID(200 + len(cts)), Day: "2026-11-25", Instance: "test",
		Sources: []bundle.Source{{ID: srcID, Designation: "quiet heron", PublicKey: fx.source.Public().Armored(), Status: "received", StatusDay: "2026-11-20"}}}
	byID := map[string][]byte{}
	for i, ct := range cts {
		sum := sha256.Sum256(ct)
		id := hexID(i + 1)
		byID[id] = ct
		m.Items = append(m.Items, bundle.Item{ID: id, SourceID: srcID, Kind: kinds[i], Day: "2026-11-20", Size: int64(len(ct)), SHA256: hex.EncodeToString(sum[:]), Fingerprints: []string{fx.priv.Fingerprint()}})
	}
	var buf bytes.Buffer
	if err := bundle.WriteExport(&buf, m, fx.server, func(it bundle.Item) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(byID[it.ID])), nil
	}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func (fx *fixture) encrypt(t testing.TB, plain string) []byte {
	t.Helper()
	ct, err := crypto.EncryptBytes([]byte(plain), fx.priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	return ct
}

const report = `{"version":1,"category":"violence","officers":["PC 1","PC 2"],"when":"today","where":"here","message":"it happened"}`

// tree lists every file under dir with its content hash.
func tree(t testing.TB, dir string) string {
	t.Helper()
	var out []string
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil || fi.Name() == ".lock" {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		if fi.Mode().IsRegular() {
			b, _ := os.ReadFile(p)
			s := sha256.Sum256(b)
			rel += " " + hex.EncodeToString(s[:8])
		}
		out = append(out, rel)
		return nil
	})
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func TestImportAndIdempotence(t *testing.T) {
	fx := newFixture(t)
	att := "{\"version\":1,\"filename\":\"../../x.png\",\"content_type\":\"image/png\"}\nPNGDATA"
	b := fx.bundleOf(t, []string{"message", "file"}, [][]byte{fx.encrypt(t, report), fx.encrypt(t, att)})
	res, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 2 || len(res.Skipped) != 0 {
		t.Fatalf("result %+v", res)
	}
	before := tree(t, fx.home.Dir)
	res, err = fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{})
	if err != nil || !res.Unchanged {
		t.Fatalf("second import: %+v, %v", res, err)
	}
	if after := tree(t, fx.home.Dir); after != before {
		t.Errorf("second import changed the home:\n%s\n---\n%s", before, after)
	}
	ix, _ := fx.home.LoadIndex()
	r, err := fx.home.ReadReport(ix.Items[hexID(1)])
	if err != nil || r.Officers != "PC 1, PC 2" || r.Message != "it happened" {
		t.Fatalf("report %+v, %v", r, err)
	}
	if it := ix.Items[hexID(2)]; it.Filename != "x.png" {
		t.Errorf("attachment name %q", it.Filename)
	}
}

func TestImportRefusedWholeOnLateCorruption(t *testing.T) {
	fx := newFixture(t)
	last := fx.encrypt(t, report)
	b := fx.bundleOf(t, []string{"message", "message", "message"}, [][]byte{fx.encrypt(t, report), fx.encrypt(t, report), last})
	// p is inside the last item's ciphertext, after two good items.
	p := bytes.Index(b, last[len(last)-40:])
	if p < 0 {
		t.Fatal("last item not found in the bundle")
	}
	before := tree(t, fx.home.Dir)
	bad := append([]byte(nil), b...)
	bad[p] ^= 1
	if _, err := fx.home.Import(bytes.NewReader(bad), fx.priv, ImportOptions{}); !errors.Is(err, bundle.ErrCorrupt) {
		t.Fatalf("corrupt bundle: got %v, want ErrCorrupt", err)
	}
	if after := tree(t, fx.home.Dir); after != before {
		t.Errorf("refused import changed the home:\n%s\n---\n%s", before, after)
	}
	for _, n := range []int{100, len(b) / 2, p} {
		if _, err := fx.home.Import(bytes.NewReader(b[:n]), fx.priv, ImportOptions{}); err == nil {
			t.Fatalf("bundle truncated at %d imported", n)
		}
	}
	if after := tree(t, fx.home.Dir); after != before {
		t.Errorf("truncated import changed the home")
	}
}

func TestImportWrongSigner(t *testing.T) {
	fx := newFixture(t)
	other, _ := crypto.GenerateSigningKey()
	fx2 := *fx
	fx2.server = other
	b := fx2.bundleOf(t, []string{"message"}, [][]byte{fx.encrypt(t, report)})
	_, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{})
	if !errors.Is(err, bundle.ErrSignature) {
		t.Fatalf("got %v, want ErrSignature", err)
	}
}

func TestInitRefusesExistingAndProtectsKey(t *testing.T) {
	fx := newFixture(t)
	if _, err := Init(fx.home.Dir, InitOptions{Passphrase: pass}); !errors.Is(err, ErrHomeExists) {
		t.Fatalf("second init: %v", err)
	}
	if _, err := fx.home.Unlock([]byte("wrong")); !errors.Is(err, crypto.ErrPassphrase) {
		t.Fatalf("wrong passphrase: %v", err)
	}
	// An unprotected imported key is stored protected.
	bare, err := fx.priv.MarshalArmored(nil)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "h2")
	if _, err := Init(dir, InitOptions{Passphrase: pass, ImportKey: bare}); err != nil {
		t.Fatal(err)
	}
	h2, _ := Open(dir)
	if _, err := h2.Unlock(nil); err == nil {
		t.Fatal("imported key is stored without a passphrase")
	}
	k, err := h2.Unlock(pass)
	if err != nil || k.Fingerprint() != fx.priv.Fingerprint() {
		t.Fatalf("unlock imported: %v", err)
	}
	sk, err := h2.SigningKey(k)
	if err != nil {
		t.Fatal(err)
	}
	if pub, _ := h2.SigningPublic(); pub != sk.Public().String() {
		t.Errorf("signing key mismatch")
	}
	raw, _ := os.ReadFile(filepath.Join(dir, signingKeyFile))
	if bytes.Contains(raw, sk.Marshal()) {
		t.Error("reply-signing key stored in clear")
	}
}

func TestOutboxNoPartialFile(t *testing.T) {
	fx := newFixture(t)
	b := fx.bundleOf(t, []string{"message"}, [][]byte{fx.encrypt(t, report)})
	if _, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	q, err := fx.home.QueueReply("Quiet  Heron", []byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	sk, _ := fx.home.SigningKey(fx.priv)
	// Damage a queued ciphertext: WriteReply's digest check fails, no file, outbox kept.
	os.WriteFile(filepath.Join(fx.home.OutboxPath(), q.ID+".pgp"), []byte("changed"), 0o600)
	out := filepath.Join(t.TempDir(), "r.bundle")
	if _, err := fx.home.WriteOutbox(out, sk); err == nil {
		t.Fatal("outbox written from a damaged queue")
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 0 {
		t.Fatalf("partial files left: %v", ents)
	}
	ob, _ := fx.home.LoadOutbox()
	if len(ob.Replies) != 1 {
		t.Fatal("outbox emptied after a failure")
	}
}

func TestReplyBundleReadsBack(t *testing.T) {
	fx := newFixture(t)
	b := fx.bundleOf(t, []string{"message"}, [][]byte{fx.encrypt(t, report)})
	if _, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.home.QueueReply("quiet heron", []byte("we read it")); err != nil {
		t.Fatal(err)
	}
	if _, err := fx.home.QueueStatus("quiet heron", "Closed -- no case to answer", []byte("note")); err != nil {
		t.Fatal(err)
	}
	sk, _ := fx.home.SigningKey(fx.priv)
	out := filepath.Join(t.TempDir(), "r.bundle")
	if _, err := fx.home.WriteOutbox(out, sk); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(out)
	defer f.Close()
	rr, err := bundle.ReadReply(f, func(s string) (crypto.VerifyKey, bool) { return sk.Public(), s == sk.Public().String() })
	if err != nil {
		t.Fatal(err)
	}
	if len(rr.Manifest.Replies) != 1 || rr.Manifest.Statuses[0].Status != "closed — no case to answer" {
		t.Fatalf("manifest %+v", rr.Manifest)
	}
	name, r, err := rr.Next()
	if err != nil {
		t.Fatal(err)
	}
	ct, _ := io.ReadAll(r)
	for _, k := range []*crypto.PrivateKey{fx.source, fx.priv} {
		pt, err := crypto.DecryptBytes(ct, k)
		if err != nil || string(pt) != "we read it" {
			t.Fatalf("%s: reply does not decrypt for %s: %v", name, k, err)
		}
	}
	if ob, _ := fx.home.LoadOutbox(); len(ob.Replies)+len(ob.Statuses) != 0 {
		t.Error("outbox not emptied")
	}
	if ents, _ := os.ReadDir(fx.home.OutboxPath()); len(ents) != 1 {
		t.Errorf("outbox files left: %d", len(ents))
	}
}

func TestExportStaysInDir(t *testing.T) {
	fx := newFixture(t)
	att := "{\"version\":1,\"filename\":\"../../../../escape.txt\",\"content_type\":\"text/plain\"}\nhello"
	b := fx.bundleOf(t, []string{"file"}, [][]byte{fx.encrypt(t, att)})
	if _, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	ix, _ := fx.home.LoadIndex()
	dir := filepath.Join(t.TempDir(), "a", "b")
	res, err := fx.home.Export(ix.Items[hexID(1)], dir)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Dir(res.Original) != dir || res.Cleaned != "" || res.NotCleaned == "" {
		t.Fatalf("result %+v", res)
	}
	if data, _ := os.ReadFile(res.Original); string(data) != "hello" {
		t.Fatalf("exported %q", data)
	}
}

// signedManifestBundle is a bundle whose manifest is arbitrary bytes,
// correctly signed, followed by the given blobs.
func signedManifestBundle(sk *crypto.SigningKey, manifest []byte, blobs map[string][]byte, order []string) []byte {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	add := func(name string, data []byte) {
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), Typeflag: tar.TypeReg})
		tw.Write(data)
	}
	add("manifest.json", manifest)
	add("manifest.sig", []byte(base64.StdEncoding.EncodeToString(sk.Sign(append([]byte("candor-export-v1\x00"), manifest...)))))
	for _, n := range order {
		add(n, blobs[n])
	}
	tw.Close()
	return buf.Bytes()
}

// resetWorkspace empties the workspace between fuzz iterations.
func resetWorkspace(t testing.TB, h *Home) {
	os.Remove(h.indexPath())
	ents, _ := os.ReadDir(h.path(workspaceDir, "items"))
	for _, e := range ents {
		os.Remove(filepath.Join(h.path(workspaceDir, "items"), e.Name()))
	}
}

// checkConfined fails if anything but the index, items and the lock
// exists in the home, or an item file has no index entry.
func checkConfined(t *testing.T, h *Home, root string) {
	t.Helper()
	ix, err := h.LoadIndex()
	if err != nil {
		t.Fatalf("index unreadable after import: %v", err)
	}
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		rel, _ := filepath.Rel(root, p)
		switch {
		case err != nil, rel == ".", fi.IsDir() && (rel == "workspace" || rel == "outbox" || rel == "workspace/items"):
		case strings.HasPrefix(rel, "workspace/items/"):
			if _, ok := ix.Items[filepath.Base(rel)]; !ok {
				t.Fatalf("item file %s without index entry", rel)
			}
		case rel == "workspace/index.json", rel == ".lock", !strings.Contains(rel, "/") && !fi.IsDir():
		default:
			t.Fatalf("unexpected file %s", rel)
		}
		return nil
	})
}

// FuzzImportBundle feeds arbitrary bytes to Import as a bundle.
func FuzzImportBundle(f *testing.F) {
	fx := newFuzzFixture(f)
	good := fx.bundleOf(f, []string{"message", "file"}, [][]byte{fx.encrypt(f, report), fx.encrypt(f, "{\"version\":1,\"filename\":\"a\"}\nx")})
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		resetWorkspace(t, fx.home)
		_, err := fx.home.Import(bytes.NewReader(data), fx.priv, ImportOptions{})
		if err != nil {
			if _, statErr := os.Stat(fx.home.indexPath()); statErr == nil {
				t.Fatal("failed import wrote an index")
			}
		}
		checkConfined(t, fx.home, fx.home.Dir)
	})
}

// FuzzManifest feeds arbitrary, correctly signed manifests (with blobs for
// the items they name, when they parse) to Import.
func FuzzManifest(f *testing.F) {
	fx := newFuzzFixture(f)
	ct := fx.encrypt(f, report)
	sum := sha256.Sum256(ct)
	m := map[string]any{"format": "candor-export", "version": 1, "bundle_id": hexID(9), "day": "2026-11-25", "instance": "x",
		"signer":  fx.server.Public().String(),
		"sources": []map[string]any{{"id": srcID, "designation": "a b", "public_key": "", "status": "", "status_day": ""}},
		"items":   []map[string]any{{"id": hexID(1), "source_id": srcID, "kind": "message", "day": "d", "size": len(ct), "sha256": hex.EncodeToString(sum[:]), "fingerprints": []string{}}}}
	seed, _ := json.Marshal(m)
	f.Add(seed)
	f.Add([]byte(`{"format":"candor-export","version":1,"sources":[],"items":[]}`))
	f.Fuzz(func(t *testing.T, manifest []byte) {
		resetWorkspace(t, fx.home)
		var parsed bundle.ExportManifest
		blobs := map[string][]byte{}
		var order []string
		if json.Unmarshal(manifest, &parsed) == nil {
			for _, it := range parsed.Items {
				if len(order) > 10 {
					break
				}
				n := "items/" + it.ID
				blobs[n] = ct
				order = append(order, n)
			}
		}
		data := signedManifestBundle(fx.server, manifest, blobs, order)
		fx.home.Import(bytes.NewReader(data), fx.priv, ImportOptions{})
		checkConfined(t, fx.home, fx.home.Dir)
	})
}

// FuzzItemCiphertext puts arbitrary OpenPGP input in a validly signed
// bundle: the bundle must import (the item decrypted or skipped), never
// crash.
func FuzzItemCiphertext(f *testing.F) {
	fx := newFuzzFixture(f)
	f.Add(fx.encrypt(f, report), uint8(0))
	f.Add(fx.encrypt(f, "{\"version\":1,\"filename\":\"x\"}\nDATA"), uint8(1))
	f.Add(fx.encrypt(f, "a reply"), uint8(2))
	f.Add([]byte("-----BEGIN PGP MESSAGE-----\n\nwcBMA\n-----END PGP MESSAGE-----\n"), uint8(0))
	kinds := []string{"message", "file", "reply"}
	f.Fuzz(func(t *testing.T, ct []byte, k uint8) {
		resetWorkspace(t, fx.home)
		b := fx.bundleOf(t, []string{kinds[int(k)%3]}, [][]byte{ct})
		res, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{})
		if err != nil {
			t.Fatalf("valid bundle refused: %v", err)
		}
		if len(res.New)+len(res.Skipped) != 1 {
			t.Fatalf("item neither imported nor skipped: %+v", res)
		}
		checkConfined(t, fx.home, fx.home.Dir)
	})
}

// FuzzImportKey feeds arbitrary OpenPGP private-key input to the parser
// behind "init --import-key": it must never crash, and a key it accepts
// must be usable for decryption.
func FuzzImportKey(f *testing.F) {
	priv, err := crypto.GenerateSubmissionKey("fuzz", crypto.ProfileGnuPG)
	if err != nil {
		f.Fatal(err)
	}
	armored, _ := priv.MarshalArmored(nil)
	f.Add(armored)
	f.Add([]byte("-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nxcA\n-----END PGP PRIVATE KEY BLOCK-----\n"))
	f.Add([]byte{0x95, 0x01, 0x00})
	f.Fuzz(func(t *testing.T, data []byte) {
		key, err := parseImportKey(data, pass)
		if err != nil {
			return
		}
		ct, err := crypto.EncryptBytes([]byte("x"), key.Public())
		if err != nil {
			if errors.Is(err, crypto.ErrNoEncryptionKey) {
				t.Fatal("accepted a key that cannot be encrypted to")
			}
			return
		}
		if pt, err := crypto.DecryptBytes(ct, key); err != nil || string(pt) != "x" {
			t.Fatalf("accepted key does not decrypt: %v", err)
		}
	})
}
