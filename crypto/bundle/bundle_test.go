package bundle_test

import (
	"archive/tar"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

func id(t testing.TB) string {
	b := make([]byte, 16)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func sum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

type fixture struct {
	key   *crypto.SigningKey
	m     *bundle.ExportManifest
	blobs map[string][]byte
}

func newExport(t testing.TB, n int) fixture {
	t.Helper()
	key, err := crypto.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	src := bundle.Source{ID: id(t), Designation: "quiet heron", PublicKey: "-----BEGIN PGP PUBLIC KEY BLOCK-----", Status: "received", StatusDay: "2026-11-25"}
	m := &bundle.ExportManifest{BundleID: id(t), Day: "2026-11-25", Instance: "Test Unit", Sources: []bundle.Source{src}}
	blobs := map[string][]byte{}
	for i := 0; i < n; i++ {
		data := []byte(fmt.Sprintf("ciphertext %d %s", i, strings.Repeat("x", i*1000)))
		it := bundle.Item{ID: id(t), SourceID: src.ID, Kind: "file", Day: "2026-11-25", Size: int64(len(data)), SHA256: sum(data), Fingerprints: []string{"ABCD"}}
		m.Items = append(m.Items, it)
		blobs[it.ID] = data
	}
	return fixture{key: key, m: m, blobs: blobs}
}

func (f fixture) write(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := bundle.WriteExport(&buf, f.m, f.key, func(it bundle.Item) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(f.blobs[it.ID])), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// readAll reads every item, returning the first error.
func readAll(data []byte, key crypto.VerifyKey) (map[string][]byte, error) {
	er, err := bundle.ReadExport(bytes.NewReader(data), key)
	if err != nil {
		return nil, err
	}
	got := map[string][]byte{}
	for {
		it, r, err := er.Next()
		if err == io.EOF {
			return got, nil
		}
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		got[it.ID] = b
	}
}

func TestExportRoundTrip(t *testing.T) {
	f := newExport(t, 5)
	got, err := readAll(f.write(t), f.key.Public())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("got %d items, want 5", len(got))
	}
	for k, v := range f.blobs {
		if !bytes.Equal(got[k], v) {
			t.Errorf("item %s differs", k)
		}
	}
}

func TestExportWrongKey(t *testing.T) {
	f := newExport(t, 1)
	other, _ := crypto.GenerateSigningKey()
	_, err := bundle.ReadExport(bytes.NewReader(f.write(t)), other.Public())
	if !errors.Is(err, bundle.ErrSignature) {
		t.Fatalf("err = %v, want ErrSignature", err)
	}
}

// rebuild rewrites a bundle's tar entries through edit.
func rebuild(t *testing.T, data []byte, edit func(name string, body []byte) (string, []byte, bool)) []byte {
	t.Helper()
	tr := tar.NewReader(bytes.NewReader(data))
	var out bytes.Buffer
	tw := tar.NewWriter(&out)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(tr)
		name, nb, keep := edit(h.Name, body)
		if !keep {
			continue
		}
		tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(nb)), Typeflag: tar.TypeReg})
		tw.Write(nb)
	}
	tw.Close()
	return out.Bytes()
}

func TestExportTamperingRefused(t *testing.T) {
	f := newExport(t, 3)
	good := f.write(t)
	first, second := "items/"+f.m.Items[0].ID, "items/"+f.m.Items[1].ID
	cases := map[string]struct {
		data []byte
		want error
	}{
		"manifest edited": {rebuild(t, good, func(n string, b []byte) (string, []byte, bool) {
			if n == "manifest.json" {
				b = bytes.Replace(b, []byte("quiet heron"), []byte("quiet heroN"), 1)
			}
			return n, b, true
		}), bundle.ErrSignature},
		"signature missing": {rebuild(t, good, func(n string, b []byte) (string, []byte, bool) {
			return n, b, n != "manifest.sig"
		}), bundle.ErrFormat},
		"item flipped": {rebuild(t, good, func(n string, b []byte) (string, []byte, bool) {
			if n == second {
				b = append([]byte(nil), b...)
				b[0] ^= 1
			}
			return n, b, true
		}), bundle.ErrCorrupt},
		"items swapped": {rebuild(t, good, func(n string, b []byte) (string, []byte, bool) {
			switch n {
			case first:
				return n, f.blobs[f.m.Items[1].ID], true
			case second:
				return n, f.blobs[f.m.Items[0].ID], true
			}
			return n, b, true
		}), bundle.ErrCorrupt},
		"item dropped": {rebuild(t, good, func(n string, b []byte) (string, []byte, bool) {
			return n, b, n != second
		}), bundle.ErrCorrupt},
		"extra entry": {append(rebuild(t, good, func(n string, b []byte) (string, []byte, bool) { return n, b, true })[:0:0], func() []byte {
			d := rebuild(t, good, func(n string, b []byte) (string, []byte, bool) { return n, b, true })
			// Append an entry by rebuilding with one more file.
			var out bytes.Buffer
			tw := tar.NewWriter(&out)
			tr := tar.NewReader(bytes.NewReader(d))
			for {
				h, err := tr.Next()
				if err != nil {
					break
				}
				b, _ := io.ReadAll(tr)
				tw.WriteHeader(h)
				tw.Write(b)
			}
			tw.WriteHeader(&tar.Header{Name: "../../evil", Mode: 0o600, Size: 3, Typeflag: tar.TypeReg})
			tw.Write([]byte("bad"))
			tw.Close()
			return out.Bytes()
		}()...), bundle.ErrCorrupt},
		"truncated": {good[:len(good)-1500], bundle.ErrCorrupt},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := readAll(c.data, f.key.Public())
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
		})
	}
}

func TestWriteExportRefusesMismatchedBlob(t *testing.T) {
	f := newExport(t, 1)
	f.blobs[f.m.Items[0].ID] = []byte("something else entirely")
	var buf bytes.Buffer
	err := bundle.WriteExport(&buf, f.m, f.key, func(it bundle.Item) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(f.blobs[it.ID])), nil
	})
	if !errors.Is(err, bundle.ErrCorrupt) {
		t.Fatalf("err = %v, want ErrCorrupt", err)
	}
}

func TestReplyRoundTripAndDomainSeparation(t *testing.T) {
	key, _ := crypto.GenerateSigningKey()
	reply, note := []byte("reply ciphertext"), []byte("note ciphertext")
	m := &bundle.ReplyManifest{
		BundleID: id(t), Day: "2026-11-25",
		Replies:  []bundle.Reply{{ID: id(t), SourceID: id(t), Size: int64(len(reply)), SHA256: sum(reply)}},
		Statuses: []bundle.StatusChange{{ID: id(t), SourceID: id(t), Status: "in review", Note: &bundle.Note{Size: int64(len(note)), SHA256: sum(note)}}},
	}
	var buf bytes.Buffer
	err := bundle.WriteReply(&buf, m, key, func(name string) (io.ReadCloser, error) {
		if strings.HasPrefix(name, "replies/") {
			return io.NopCloser(bytes.NewReader(reply)), nil
		}
		return io.NopCloser(bytes.NewReader(note)), nil
	})
	if err != nil {
		t.Fatal(err)
	}
	pinned := func(s string) (crypto.VerifyKey, bool) {
		if s == key.Public().String() {
			return key.Public(), true
		}
		return crypto.VerifyKey{}, false
	}
	rr, err := bundle.ReadReply(bytes.NewReader(buf.Bytes()), pinned)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for {
		name, r, err := rr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, r)
		names = append(names, name)
	}
	if len(names) != 2 || names[0] != "replies/"+m.Replies[0].ID || names[1] != "notes/"+m.Statuses[0].ID {
		t.Fatalf("names = %v", names)
	}
	// Unknown signer.
	if _, err := bundle.ReadReply(bytes.NewReader(buf.Bytes()), func(string) (crypto.VerifyKey, bool) { return crypto.VerifyKey{}, false }); !errors.Is(err, bundle.ErrSignature) {
		t.Fatalf("unknown signer: err = %v", err)
	}
	// An export signed by the same key is not accepted as a reply bundle,
	// and a reply bundle is not an export bundle.
	if _, err := bundle.ReadExport(bytes.NewReader(buf.Bytes()), key.Public()); !errors.Is(err, bundle.ErrSignature) {
		t.Fatalf("reply read as export: err = %v", err)
	}
}

func FuzzReadExport(f *testing.F) {
	fx := newExport(f, 2)
	good := fx.write(f)
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("not a tar"))
	f.Fuzz(func(t *testing.T, data []byte) {
		// Must never panic; must never return items from a bundle that
		// does not verify.
		got, err := readAll(data, fx.key.Public())
		if err == nil && !bytes.Equal(data, good) && len(got) > 0 {
			for k, v := range got {
				if !bytes.Equal(fx.blobs[k], v) {
					t.Fatalf("accepted altered item %s", k)
				}
			}
		}
	})
}
