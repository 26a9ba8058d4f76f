package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

// hostileHome is a home with a pinned server key and a passphrase file.
func hostileHome(t *testing.T) (dir, passFile string, h *workspace.Home, server *crypto.SigningKey) {
	t.Helper()
	tmp := t.TempDir()
	dir = filepath.Join(tmp, "home")
	passFile = filepath.Join(tmp, "pass")
	if err := os.WriteFile(passFile, []byte("correct horse\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := workspace.Init(dir, workspace.InitOptions{Passphrase: []byte("correct horse")}); err != nil {
		t.Fatal(err)
	}
	h, err := workspace.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	server, err = crypto.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Trust(server.Public().String(), false); err != nil {
		t.Fatal(err)
	}
	return dir, passFile, h, server
}

// hostileBundle is a bundle signed by the pinned (but compromised) server
// key whose free-text manifest fields carry terminal escape sequences.
func hostileBundle(t *testing.T, h *workspace.Home, server *crypto.SigningKey, evil string) []byte {
	t.Helper()
	pub, err := h.PublicKey()
	if err != nil {
		t.Fatal(err)
	}
	src, err := crypto.GenerateSubmissionKey("source", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := crypto.EncryptBytes([]byte(`{"version":1,"message":"hi"}`), pub)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(ct)
	srcID, itemID := strings.Repeat("5a", 16), strings.Repeat("01", 16)
	m := &bundle.ExportManifest{BundleID: "b" + evil, Day: "2026-11-25", Instance: "i" + evil,
		Sources: []bundle.Source{{ID: srcID, Designation: "d" + evil, PublicKey: src.Public().Armored(), Status: "s" + evil, StatusDay: "2026-11-20" + evil}},
		Items:   []bundle.Item{{ID: itemID, SourceID: srcID, Kind: "message", Day: "2026-11-20" + evil, Size: int64(len(ct)), SHA256: hex.EncodeToString(sum[:])}},
	}
	var buf bytes.Buffer
	if err := bundle.WriteExport(&buf, m, server, func(bundle.Item) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(ct)), nil
	}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestHostileManifestFieldsNeutralised: a compromised server signs a
// manifest whose bundle id, instance, designation, status and days carry
// escape sequences (OSC retitles the terminal, CSI moves the cursor, U+009B
// is the one-character CSI, U+202E reorders the line). import, list and
// list --json must not pass any of them to the terminal.
func TestHostileManifestFieldsNeutralised(t *testing.T) {
	dir, passFile, h, server := hostileHome(t)
	evil := "\x1b]0;owned\x07\x1b[2J\u009b31m\u202e\x7f"
	bf := filepath.Join(t.TempDir(), "export.tar")
	if err := os.WriteFile(bf, hostileBundle(t, h, server, evil), 0o600); err != nil {
		t.Fatal(err)
	}
	check := func(args ...string) string {
		t.Helper()
		var stdout, stderr bytes.Buffer
		e := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, getenv: func(string) string { return "" }}
		if err := run(e, args); err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		out := stdout.String() + stderr.String()
		for _, bad := range []string{"\x1b", "\x07", "\u009b", "\u202e", "\x7f"} {
			if strings.Contains(out, bad) {
				t.Errorf("%v printed %q:\n%q", args, bad, out)
			}
		}
		return stdout.String()
	}
	check("import", "--home", dir, "--passphrase-file", passFile, bf)
	check("import", "--home", dir, "--passphrase-file", passFile, bf) // "imported before" path
	check("list", "--home", dir)
	js := check("list", "--home", dir, "--json")
	// The JSON still carries the exact designation for programs.
	var got []struct{ Designation string }
	if err := json.Unmarshal([]byte(js), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Designation != "d"+evil {
		t.Errorf("list --json designation = %q", got)
	}
	check("show", "--home", dir, strings.Repeat("01", 16))
}
