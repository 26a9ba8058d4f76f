package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/journalist"
	"github.com/candor-drop/candor/store"
	"github.com/candor-drop/candor/tor"
)

// newTestInstance runs `candor init` with a fresh submission key and
// returns the data directory and the submission private key.
func newTestInstance(t testing.TB) (string, *crypto.PrivateKey) {
	t.Helper()
	return newTestInstanceKDF(t, nil)
}

// newTestInstanceKDF is newTestInstance with the given KDF parameters (nil:
// the instance's defaults), so that codename logins are cheap in tests.
func newTestInstanceKDF(t testing.TB, kdf *crypto.KDFParams) (string, *crypto.PrivateKey) {
	t.Helper()
	sk, err := crypto.GenerateSubmissionKey("Test Unit <test@example.invalid>", crypto.ProfileGnuPG)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := filepath.Join(t.TempDir(), "sub.asc")
	if err := os.WriteFile(keyFile, []byte(sk.Public().Armored()), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(t.TempDir(), "instance")
	if out, err := runCmd("init", "--data", data, "--submission-key", keyFile); err != nil {
		t.Fatalf("init: %v\n%s", err, out)
	}
	if kdf != nil {
		st, err := store.Open(data, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		params, _ := json.Marshal(kdf)
		if err := st.SetSetting(context.Background(), "kdf_params", params); err != nil {
			t.Fatal(err)
		}
	}
	return data, sk
}

// withStore opens the instance's store for a moment.
func withStore(t *testing.T, data string, f func(st *store.Store)) {
	t.Helper()
	st, err := store.Open(data, store.Options{MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	f(st)
}

var clientAuthRE = regexp.MustCompile(`(?m)^  client auth:  ([a-z2-7]{56}):descriptor:x25519:([A-Z2-7]{52})$`)

func TestReviewerAdd(t *testing.T) {
	data, _ := newTestInstance(t)
	out, err := runCmd("reviewer", "add", "--data", data, "--name", "alice", "--admin")
	if err != nil {
		t.Fatalf("reviewer add: %v", err)
	}
	pass := regexp.MustCompile(`(?m)^  passphrase:   (.+)$`).FindStringSubmatch(out)
	secret := regexp.MustCompile(`(?m)^  TOTP secret:  ([A-Z2-7]+)$`).FindStringSubmatch(out)
	uri := regexp.MustCompile(`(?m)^  TOTP URI:     (otpauth://totp/\S+)$`).FindStringSubmatch(out)
	ca := clientAuthRE.FindStringSubmatch(out)
	if pass == nil || secret == nil || uri == nil || ca == nil {
		t.Fatalf("output lacks a credential:\n%s", out)
	}
	if n := len(strings.Fields(pass[1])); n < 7 {
		t.Fatalf("passphrase of %d words", n)
	}
	// The client authorization line names the instance's journalist onion
	// service, and the database holds its public half only.
	keyPath := filepath.Join(data, "tor", "journalist.key")
	fi, err := os.Stat(keyPath)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("journalist onion key: %v %v", fi, err)
	}
	_, onionID, err := tor.LoadOrCreateServiceKey(keyPath)
	if err != nil || onionID != ca[1] {
		t.Fatalf("client auth names %s, the journalist service is %s (%v)", ca[1], onionID, err)
	}
	pub, err := tor.ClientAuthPublicKey(ca[2])
	if err != nil {
		t.Fatal(err)
	}
	withStore(t, data, func(st *store.Store) {
		keys, _ := st.ClientAuthKeys(context.Background())
		if keys["alice"] != pub {
			t.Fatalf("stored client-auth key %q, want the public half %q", keys["alice"], pub)
		}
		r, _ := st.ReviewerByName(context.Background(), "alice")
		if !r.Admin || strings.Contains(r.PasswordHash, pass[1]) || !strings.HasPrefix(r.PasswordHash, "$argon2id$v=19$m=65536,t=4,p=2$") {
			t.Fatalf("stored reviewer %+v", r)
		}
	})

	// The printed credentials log in (API token through the real handler).
	inst, err := openInstance(data)
	if err != nil {
		t.Fatal(err)
	}
	defer inst.Close()
	h, closeFn, err := newJournalistHandler(context.Background(), inst, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer closeFn()
	ts := httptest.NewServer(h)
	defer ts.Close()
	code, _ := totp.GenerateCode(secret[1], time.Now())
	body, _ := json.Marshal(map[string]string{"username": "alice", "passphrase": pass[1], "one_time_code": code})
	resp, err := http.Post(ts.URL+"/api/v1/token", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the printed credentials do not log in: %d", resp.StatusCode)
	}

	// The same name again is refused with a hint.
	_, err = runCmd("reviewer", "add", "--data", data, "--name", "alice")
	if err == nil || !strings.Contains(err.Error(), "taken") {
		t.Fatalf("duplicate name: %v", err)
	}
	if _, err := runCmd("reviewer", "add", "--data", data, "--name", "bad name"); err == nil {
		t.Fatal("bad name accepted")
	}
}

func TestReviewerJSONListResetRemove(t *testing.T) {
	data, _ := newTestInstance(t)
	out, err := runCmd("reviewer", "add", "--data", data, "--name", "bob", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var c journalist.Credentials
	if err := json.Unmarshal([]byte(out), &c); err != nil || c.Username != "bob" || c.Passphrase == "" || c.TOTPSecret == "" || !strings.Contains(c.ClientAuth, ":descriptor:x25519:") {
		t.Fatalf("--json output %q: %v", out, err)
	}
	if _, err := runCmd("reviewer", "add", "--data", data, "--name", "carol"); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd("reviewer", "list", "--data", data)
	if err != nil || !strings.Contains(out, "bob") || !strings.Contains(out, "carol") || strings.Contains(out, c.Passphrase) {
		t.Fatalf("list: %v\n%s", err, out)
	}

	out, err = runCmd("reviewer", "reset", "--data", data, "--name", "bob", "--json")
	var nc journalist.Credentials
	if err != nil || json.Unmarshal([]byte(out), &nc) != nil || nc.Passphrase == c.Passphrase || nc.TOTPSecret == c.TOTPSecret {
		t.Fatalf("reset: %v %s", err, out)
	}
	withStore(t, data, func(st *store.Store) {
		r, _ := st.ReviewerByName(context.Background(), "bob")
		if r.TOTPSecret != nc.TOTPSecret {
			t.Fatal("reset did not store the new TOTP secret")
		}
	})

	if _, err := runCmd("reviewer", "remove", "--data", data, "--name", "bob"); err != nil {
		t.Fatal(err)
	}
	withStore(t, data, func(st *store.Store) {
		keys, _ := st.ClientAuthKeys(context.Background())
		if _, ok := keys["bob"]; ok || len(keys) != 1 {
			t.Fatalf("client-auth keys after removal: %v", keys)
		}
	})
	if _, err := runCmd("reviewer", "remove", "--data", data, "--name", "bob"); err == nil {
		t.Fatal("removing an unknown reviewer succeeded")
	}
	if _, err := runCmd("reviewer", "add", "--data", filepath.Join(t.TempDir(), "nothing"), "--name", "x"); err == nil {
		t.Fatal("reviewer add on a non-instance succeeded")
	}
}

func TestReviewKeyCommands(t *testing.T) {
	data, _ := newTestInstance(t)
	k, _ := crypto.GenerateSigningKey()
	f := filepath.Join(t.TempDir(), "review.key")
	os.WriteFile(f, []byte(k.Public().String()+"\n"), 0o644)

	out, err := runCmd("review-key", "add", "--data", data, f)
	if err != nil || !strings.Contains(out, k.Public().Fingerprint()) {
		t.Fatalf("add: %v %s", err, out)
	}
	if out, err := runCmd("review-key", "add", "--data", data, f); err != nil || !strings.Contains(out, "already") {
		t.Fatalf("add twice: %v %s", err, out)
	}
	bad := filepath.Join(t.TempDir(), "bad.key")
	os.WriteFile(bad, []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n"), 0o644)
	if _, err := runCmd("review-key", "add", "--data", data, bad); err == nil {
		t.Fatal("a non-key was pinned")
	}
	out, err = runCmd("review-key", "list", "--data", data)
	if err != nil || !strings.Contains(out, k.Public().String()) || strings.Count(out, "candor-ed25519:") != 1 {
		t.Fatalf("list: %v\n%s", err, out)
	}
	if _, err := runCmd("review-key", "remove", "--data", data, "nope"); err == nil {
		t.Fatal("removing an unknown key succeeded")
	}
	if _, err := runCmd("review-key", "remove", "--data", data, k.Public().Fingerprint()); err != nil {
		t.Fatal(err)
	}
	withStore(t, data, func(st *store.Store) {
		if ks, _ := st.ReviewKeys(context.Background()); len(ks) != 0 {
			t.Fatalf("key still pinned: %v", ks)
		}
	})
}
