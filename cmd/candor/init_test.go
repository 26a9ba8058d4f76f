package main

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// testKey writes a fresh submission public key to a file, armored or
// binary, and returns the path and the fingerprint.
func testKey(t *testing.T, armored bool) (string, string) {
	t.Helper()
	k, err := crypto.GenerateSubmissionKey("Test Unit <test@example.invalid>", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "key.pub")
	b := k.Public().Bytes()
	if armored {
		p += ".asc"
		b = []byte(k.Public().Armored())
	}
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p, k.Fingerprint()
}

// snapshot records every file and directory under dir with its mode and
// contents, so a test can tell whether anything changed.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	m := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		v := fi.Mode().String()
		if !d.IsDir() {
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			v += " " + string(b)
		}
		rel, _ := filepath.Rel(dir, p)
		m[rel] = v
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func runCmd(args ...string) (string, error) {
	var out, errOut bytes.Buffer
	err := run(args, &out, &errOut)
	return out.String(), err
}

func TestInitCreatesInstance(t *testing.T) {
	armoredKey, fpr1 := testKey(t, true)
	binaryKey, fpr2 := testKey(t, false)
	dir := filepath.Join(t.TempDir(), "data")
	out, err := runCmd("init", "--data", dir, "--submission-key", armoredKey, "--submission-key", binaryKey)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, fpr1) || !strings.Contains(out, fpr2) || !strings.Contains(out, "candor-ed25519:") {
		t.Errorf("init output lacks the fingerprints or the signing key:\n%s", out)
	}
	for p, want := range map[string]os.FileMode{
		"":                    0o700,
		"secrets":             0o700,
		"blobs":               0o700,
		"secrets/pepper":      0o600,
		"secrets/signing.key": 0o600,
		"candor.db":           0o600,
	} {
		fi, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}

	in, err := openInstance(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	if len(in.pepper) != 32 || bytes.Equal(in.pepper, make([]byte, 32)) {
		t.Errorf("pepper = %x", in.pepper)
	}
	if in.kdf != crypto.DefaultKDFParams {
		t.Errorf("kdf = %+v, want %+v", in.kdf, crypto.DefaultKDFParams)
	}
	if in.signing == nil || !strings.Contains(out, in.signing.Public().String()) {
		t.Error("the signing key printed is not the one stored")
	}
	ctx := context.Background()
	keys, err := in.submissionKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var fprs []string
	for _, k := range keys {
		fprs = append(fprs, k.Fingerprint())
	}
	if !slices.Equal(fprs, []string{fpr1, fpr2}) {
		t.Errorf("submission keys = %v, want %v", fprs, []string{fpr1, fpr2})
	}
	// Usable as recipients.
	if _, err := crypto.EncryptBytes([]byte("x"), keys...); err != nil {
		t.Errorf("encrypting to the stored keys: %v", err)
	}
	st, err := in.store.Settings(ctx)
	if err != nil || st != store.DefaultSettings {
		t.Errorf("settings = %+v, %v", st, err)
	}

	// Two instances get different secrets.
	dir2 := filepath.Join(t.TempDir(), "data")
	if _, err := runCmd("init", "--data", dir2, "--submission-key", armoredKey); err != nil {
		t.Fatal(err)
	}
	in2, err := openInstance(dir2)
	if err != nil {
		t.Fatal(err)
	}
	defer in2.Close()
	if bytes.Equal(in.pepper, in2.pepper) || in.signing.Public().Equal(in2.signing.Public()) {
		t.Error("two instances share a pepper or a signing key")
	}
}

func TestInitRefusesExistingInstance(t *testing.T) {
	key, _ := testKey(t, true)
	other, _ := testKey(t, true)
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := runCmd("init", "--data", dir, "--submission-key", key); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	_, err := runCmd("init", "--data", dir, "--submission-key", other)
	var h *hintError
	if err == nil || !strings.Contains(err.Error(), "refusing to overwrite") || !errors.As(err, &h) {
		t.Fatalf("second init: err = %v, want a refusal with a hint", err)
	}
	if after := snapshot(t, dir); !mapsEqual(before, after) {
		t.Error("a refused init changed the existing instance")
	}

	// Any piece of an instance is enough to refuse.
	for _, piece := range []string{"candor.db", "secrets"} {
		d := t.TempDir()
		if piece == "secrets" {
			os.Mkdir(filepath.Join(d, piece), 0o700)
		} else {
			os.WriteFile(filepath.Join(d, piece), []byte("keep me"), 0o600)
		}
		before := snapshot(t, d)
		if _, err := runCmd("init", "--data", d, "--submission-key", key); err == nil {
			t.Errorf("init accepted a directory holding %s", piece)
		}
		if !mapsEqual(before, snapshot(t, d)) {
			t.Errorf("refused init over %s changed the directory", piece)
		}
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestInitRefusesBadKeys(t *testing.T) {
	good, _ := testKey(t, true)
	garbage := filepath.Join(t.TempDir(), "garbage.asc")
	os.WriteFile(garbage, []byte("not a key\n"), 0o644)
	priv, err := crypto.GenerateSubmissionKey("Private", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := priv.MarshalArmored([]byte("pass"))
	if err != nil {
		t.Fatal(err)
	}
	privFile := filepath.Join(t.TempDir(), "secret.asc")
	os.WriteFile(privFile, secret, 0o600)

	cases := map[string]struct {
		args []string
		want string
	}{
		"garbage":      {[]string{"--submission-key", good, "--submission-key", garbage}, garbage},
		"private key":  {[]string{"--submission-key", privFile}, "private key"},
		"missing file": {[]string{"--submission-key", filepath.Join(t.TempDir(), "nope.asc")}, "nope.asc"},
		"no key":       {nil, "--submission-key"},
		"twice":        {[]string{"--submission-key", good, "--submission-key", good}, "twice"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "data")
			_, err := runCmd(append([]string{"init", "--data", dir}, c.args...)...)
			if err == nil || !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(c.want)) || strings.Contains(err.Error(), "\n") {
				t.Fatalf("err = %v; want one line mentioning %q", err, c.want)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Fatalf("a failed init left %v behind", entries)
			}
		})
	}
}

// TestInitFailureLeavesNothing makes instance creation fail after each
// step and checks that nothing is left: no partial instance that a later
// init would refuse or a server would open.
func TestInitFailureLeavesNothing(t *testing.T) {
	key, _ := testKey(t, true)
	injected := errors.New("injected failure")
	for _, step := range []string{"secrets", "store", "settings", "keys"} {
		t.Run(step, func(t *testing.T) {
			initStep = func(s string) error {
				if s == step {
					return injected
				}
				return nil
			}
			defer func() { initStep = func(string) error { return nil } }()

			// A directory that did not exist is removed.
			parent := t.TempDir()
			dir := filepath.Join(parent, "a", "data")
			if _, err := runCmd("init", "--data", dir, "--submission-key", key); !errors.Is(err, injected) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 0 {
				t.Fatalf("left behind: %v", entries)
			}
			// An existing directory is kept, with only its own files.
			existing := t.TempDir()
			os.WriteFile(filepath.Join(existing, "README"), []byte("mine"), 0o644)
			before := snapshot(t, existing)
			if _, err := runCmd("init", "--data", existing, "--submission-key", key); !errors.Is(err, injected) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			if !mapsEqual(before, snapshot(t, existing)) {
				t.Fatalf("left behind in an existing directory: %v", snapshot(t, existing))
			}
		})
	}
}

func TestServerKey(t *testing.T) {
	key, _ := testKey(t, true)
	dir := filepath.Join(t.TempDir(), "data")
	if _, err := runCmd("init", "--data", dir, "--submission-key", key); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd("server-key", "--data", dir)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(out, "\n") != 1 || !strings.HasSuffix(out, "\n") {
		t.Fatalf("server-key printed %q, want one line", out)
	}
	vk, err := crypto.ParseVerifyKey(out)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "secrets", "signing.key"))
	if err != nil {
		t.Fatal(err)
	}
	sk, err := crypto.ParseSigningKey(b)
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte("manifest")
	if err := vk.Verify(msg, sk.Sign(msg)); err != nil {
		t.Fatalf("printed key does not verify the stored key's signature: %v", err)
	}
	other, _ := crypto.GenerateSigningKey()
	if err := vk.Verify(msg, other.Sign(msg)); err == nil {
		t.Fatal("printed key verifies another key's signature")
	}

	// Not an instance: an error with a hint, and nothing created.
	empty := t.TempDir()
	_, err = runCmd("server-key", "--data", empty)
	var h *hintError
	if err == nil || !errors.As(err, &h) || !strings.Contains(h.hint, "candor init") {
		t.Fatalf("server-key on an empty directory: err = %v", err)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("server-key created %v", entries)
	}
	if _, err := openInstance(empty); err == nil {
		t.Fatal("openInstance opened an empty directory")
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Fatalf("openInstance created %v", entries)
	}

	// A signing key others can read is refused.
	os.Chmod(filepath.Join(dir, "secrets", "signing.key"), 0o644)
	if _, err := runCmd("server-key", "--data", dir); err == nil || !strings.Contains(err.Error(), "readable by other users") {
		t.Fatalf("world-readable signing key: err = %v", err)
	}
}

// TestInitBinary drives the real binary: errors are one line prefixed
// "candor: error:" plus a hint, with exit status 1.
func TestInitBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "candor")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.asc")
	os.WriteFile(bad, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nnonsense\n-----END PGP PUBLIC KEY BLOCK-----\n"), 0o644)
	parent := t.TempDir()
	cmd := exec.Command(bin, "init", "--data", filepath.Join(parent, "data"), "--submission-key", bad)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "candor: error: init: "+bad) || !strings.HasPrefix(lines[1], "candor: hint: ") {
		t.Fatalf("stderr = %q", stderr.String())
	}
	if stdout.Len() != 0 {
		t.Errorf("stdout = %q", stdout.String())
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 0 {
		t.Fatalf("left behind: %v", entries)
	}

	good, _ := testKey(t, false)
	data := filepath.Join(parent, "data")
	if out, err := exec.Command(bin, "init", "--data", data, "--submission-key", good).CombinedOutput(); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "server-key", "--data", data).Output()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := crypto.ParseVerifyKey(string(out)); err != nil {
		t.Fatalf("server-key output %q: %v", out, err)
	}
}
