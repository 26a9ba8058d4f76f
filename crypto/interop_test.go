package crypto

// Interoperability with the system's GnuPG (2.2) and Sequoia (sq 0.27).
// The CI installs both; these tests never skip.

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// gnupg is a throwaway GnuPG home.
type gnupg struct {
	t    *testing.T
	home string
}

func newGnuPG(t *testing.T) *gnupg {
	t.Helper()
	// A short path: gpg-agent's socket path must fit in sun_path.
	home, err := os.MkdirTemp("", "cgpg")
	if err != nil {
		t.Fatal(err)
	}
	// Cheap passphrase hashing keeps the tests fast; it changes no format.
	if err := os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("s2k-count 65536\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g := &gnupg{t: t, home: home}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	return g
}

// run runs gpg with stdin and returns stdout; it fails the test on error.
func (g *gnupg) run(stdin []byte, args ...string) []byte {
	g.t.Helper()
	out, err := g.try(stdin, args...)
	if err != nil {
		g.t.Fatalf("gpg %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (g *gnupg) try(stdin []byte, args ...string) ([]byte, error) {
	base := []string{"--homedir", g.home, "--batch", "--no-tty", "--pinentry-mode", "loopback", "--trust-model", "always"}
	cmd := exec.Command("gpg", append(base, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, errors.New(err.Error() + ": " + stderr.String())
	}
	return out, nil
}

// genKey makes a key the way the README tells reviewers to: a signing
// primary with --quick-gen-key, then (if encAlgo is not empty) an
// encryption subkey with --quick-add-key. It returns the fingerprint.
func (g *gnupg) genKey(uid, primaryAlgo, encAlgo, pass string) string {
	g.t.Helper()
	g.run(nil, "--passphrase", pass, "--quick-gen-key", uid, primaryAlgo, "sign", "0")
	fpr := g.fingerprint(uid)
	if encAlgo != "" {
		g.run(nil, "--passphrase", pass, "--quick-add-key", fpr, encAlgo, "encr", "0")
	}
	return fpr
}

func (g *gnupg) fingerprint(uid string) string {
	g.t.Helper()
	out := g.run(nil, "--with-colons", "--list-keys", uid)
	for _, line := range strings.Split(string(out), "\n") {
		if f := strings.Split(line, ":"); f[0] == "fpr" {
			return f[9]
		}
	}
	g.t.Fatalf("no fingerprint for %q", uid)
	return ""
}

func writeTemp(t *testing.T, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// A message encrypted by this package to a Candor-made key (and a
// GnuPG-made key at once) decrypts with gpg, and is SEIPD v1 without
// compression.
func TestInteropEncryptForGnuPG(t *testing.T) {
	g := newGnuPG(t)
	candor := testKey(t, ProfileGnuPG, "alice")
	for _, pass := range []string{"", "import pass"} {
		arm, err := candor.MarshalArmored([]byte(pass))
		if err != nil {
			t.Fatal(err)
		}
		// gpg reads our private key file, protected or not.
		g.run(arm, "--passphrase", pass, "--import")
	}
	gpgFpr := g.genKey("Bob <bob@candor.test>", "ed25519", "cv25519", "")
	gpgPub, err := ParsePublicKey(g.run(nil, "--export", gpgFpr))
	if err != nil {
		t.Fatal(err)
	}

	pt := randomBytes(t, 3<<20+17)
	ct, err := EncryptBytes(pt, candor.Public(), gpgPub)
	if err != nil {
		t.Fatal(err)
	}
	// gpg picks whichever secret key it has; delete the Candor key's
	// secret half for the second pass so both recipients are exercised.
	got := g.run(ct, "--passphrase", "import pass", "--decrypt")
	if !bytes.Equal(got, pt) {
		t.Fatal("gpg decrypted something else")
	}
	g.run(nil, "--yes", "--delete-secret-keys", gpgFpr)
	got = g.run(ct, "--passphrase", "import pass", "--decrypt")
	if !bytes.Equal(got, pt) {
		t.Fatal("gpg decrypted something else with the Candor key")
	}

	packets := string(g.run(ct, "--passphrase", "import pass", "--list-packets"))
	if !strings.Contains(packets, ":encrypted data packet:") || !strings.Contains(packets, "mdc_method: 2") {
		t.Errorf("not SEIPD v1 with MDC:\n%s", packets)
	}
	if strings.Contains(packets, "compressed packet") {
		t.Errorf("message is compressed:\n%s", packets)
	}
	verbose := verboseDecrypt(g, ct, "import pass")
	if !strings.Contains(verbose, "AES256") {
		t.Errorf("session cipher is not AES-256:\n%s", verbose)
	}

	// A tampered message is refused by gpg too (sanity check of the test).
	bad := bytes.Clone(ct)
	bad[len(bad)-5] ^= 1
	if _, err := g.try(bad, "--passphrase", "import pass", "--decrypt"); err == nil {
		t.Error("gpg accepted a tampered message")
	}
}

func verboseDecrypt(g *gnupg, ct []byte, pass string) string {
	cmd := exec.Command("gpg", "--homedir", g.home, "--batch", "--no-tty", "--pinentry-mode", "loopback",
		"--passphrase", pass, "--verbose", "--decrypt", "--output", "/dev/null", "--yes")
	cmd.Stdin = bytes.NewReader(ct)
	out, _ := cmd.CombinedOutput()
	return string(out)
}

// The same with Sequoia: sq decrypts what we encrypt to a Candor-made key,
// and we decrypt what sq encrypts to it.
func TestInteropSequoia(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	arm, err := k.MarshalArmored(nil)
	if err != nil {
		t.Fatal(err)
	}
	keyFile := writeTemp(t, "key.asc", arm)
	pt := randomBytes(t, 1<<20+3)
	ct, err := EncryptBytes(pt, k.Public(), testKey(t, ProfileGnuPG, "bob").Public())
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sq", "decrypt", "--recipient-key", keyFile)
	cmd.Stdin = bytes.NewReader(ct)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	got, err := cmd.Output()
	if err != nil {
		t.Fatalf("sq decrypt: %v: %s", err, stderr.String())
	}
	if !bytes.Equal(got, pt) {
		t.Fatal("sq decrypted something else")
	}

	// sq refuses the tampered message as well.
	bad := bytes.Clone(ct)
	bad[len(bad)-3] ^= 1
	cmd = exec.Command("sq", "decrypt", "--recipient-key", keyFile)
	cmd.Stdin = bytes.NewReader(bad)
	if out, err := cmd.Output(); err == nil || len(out) != 0 {
		t.Errorf("sq accepted a tampered message (%d bytes out)", len(out))
	}

	// sq → Candor.
	certFile := writeTemp(t, "cert.asc", []byte(k.Public().Armored()))
	cmd = exec.Command("sq", "encrypt", "--recipient-cert", certFile)
	cmd.Stdin = bytes.NewReader(pt)
	stderr.Reset()
	cmd.Stderr = &stderr
	sqct, err := cmd.Output()
	if err != nil {
		t.Fatalf("sq encrypt: %v: %s", err, stderr.String())
	}
	got, err = DecryptBytes(sqct, k)
	if err != nil || !bytes.Equal(got, pt) {
		t.Fatalf("decrypting sq's message: %v", err)
	}
}

// Keys made by gpg import (armored and binary, with and without a
// passphrase), and what gpg encrypts to them decrypts here; what we
// encrypt to them decrypts with gpg.
func TestInteropGnuPGKeys(t *testing.T) {
	cases := []struct {
		name, primary, enc, pass string
	}{
		{"ed25519-cv25519", "ed25519", "cv25519", ""},
		{"ed25519-cv25519-passphrase", "ed25519", "cv25519", "s3cret pass"},
		{"rsa4096-passphrase", "rsa4096", "rsa4096", "rsa pass"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := newGnuPG(t)
			uid := "Reviewer <" + c.name + "@candor.test>"
			fpr := g.genKey(uid, c.primary, c.enc, c.pass)

			pubArm := g.run(nil, "--armor", "--export", fpr)
			pubBin := g.run(nil, "--export", fpr)
			secArm := g.run(nil, "--passphrase", c.pass, "--armor", "--export-secret-keys", fpr)
			secBin := g.run(nil, "--passphrase", c.pass, "--export-secret-keys", fpr)

			var pubs []*PublicKey
			for _, data := range [][]byte{pubArm, pubBin} {
				p, err := ParsePublicKey(data)
				if err != nil {
					t.Fatal(err)
				}
				if p.Fingerprint() != fpr {
					t.Fatalf("fingerprint %s, gpg says %s", p.Fingerprint(), fpr)
				}
				pubs = append(pubs, p)
			}
			var privs []*PrivateKey
			for _, data := range [][]byte{secArm, secBin} {
				if c.pass != "" {
					if _, err := ParsePrivateKey(data, nil); !errors.Is(err, ErrPassphrase) {
						t.Fatalf("no passphrase: %v", err)
					}
					if _, err := ParsePrivateKey(data, []byte("wrong")); !errors.Is(err, ErrPassphrase) {
						t.Fatalf("wrong passphrase: %v", err)
					}
				}
				k, err := ParsePrivateKey(data, []byte(c.pass))
				if err != nil {
					t.Fatal(err)
				}
				if k.Fingerprint() != fpr {
					t.Fatal("fingerprint")
				}
				privs = append(privs, k)
			}

			// gpg → Candor (gpg compresses by default; that is read too).
			pt := randomBytes(t, 200_000)
			pt = append(pt, bytes.Repeat([]byte("compressible "), 10_000)...)
			ct := g.run(pt, "--encrypt", "--recipient", fpr)
			for _, k := range privs {
				got, err := DecryptBytes(ct, k)
				if err != nil || !bytes.Equal(got, pt) {
					t.Fatalf("decrypting gpg's message: %v", err)
				}
			}
			armCT := g.run(pt, "--armor", "--encrypt", "--recipient", fpr)
			if got, err := DecryptBytes(armCT, privs[0]); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("decrypting gpg's armored message: %v", err)
			}

			// Candor → gpg, to the imported public key.
			ours, err := EncryptBytes(pt, pubs[0])
			if err != nil {
				t.Fatal(err)
			}
			if got := g.run(ours, "--passphrase", c.pass, "--decrypt"); !bytes.Equal(got, pt) {
				t.Fatal("gpg decrypted something else")
			}

			// The imported key, saved by candor-review and loaded again.
			saved, err := privs[1].MarshalArmored([]byte("new pass"))
			if err != nil {
				t.Fatal(err)
			}
			again, err := ParsePrivateKey(saved, []byte("new pass"))
			if err != nil {
				t.Fatal(err)
			}
			if got, err := DecryptBytes(ct, again); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("after save and load: %v", err)
			}
		})
	}
}

// A GnuPG key whose primary stays offline (exported with
// --export-secret-subkeys) is enough to decrypt.
func TestInteropGnuPGSubkeysOnly(t *testing.T) {
	g := newGnuPG(t)
	fpr := g.genKey("Sub <sub@candor.test>", "ed25519", "cv25519", "pw")
	sec := g.run(nil, "--passphrase", "pw", "--armor", "--export-secret-subkeys", fpr)
	k, err := ParsePrivateKey(sec, []byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	ct := g.run([]byte("offline primary"), "--encrypt", "--recipient", fpr)
	if got, err := DecryptBytes(ct, k); err != nil || string(got) != "offline primary" {
		t.Fatalf("%v", err)
	}
	saved, err := k.MarshalArmored([]byte("pw2"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParsePrivateKey(saved, []byte("pw2")); err != nil {
		t.Fatal(err)
	}
}

// A GnuPG key with no encryption subkey is refused, and the error names
// the command that fixes it.
func TestInteropGnuPGKeyWithoutEncryptionSubkey(t *testing.T) {
	g := newGnuPG(t)
	fpr := g.genKey("Signer <signer@candor.test>", "ed25519", "", "")
	want := "gpg --quick-add-key " + fpr + " cv25519 encr"
	_, err := ParsePublicKey(g.run(nil, "--armor", "--export", fpr))
	if !errors.Is(err, ErrNoEncryptionKey) || !strings.Contains(err.Error(), want) {
		t.Fatalf("public key: %v", err)
	}
	_, err = ParsePrivateKey(g.run(nil, "--armor", "--export-secret-keys", fpr), nil)
	if !errors.Is(err, ErrNoEncryptionKey) || !strings.Contains(err.Error(), want) {
		t.Fatalf("private key: %v", err)
	}
	// Following the advice fixes it.
	g.run(nil, "--passphrase", "", "--quick-add-key", fpr, "cv25519", "encr", "0")
	if _, err := ParsePublicKey(g.run(nil, "--export", fpr)); err != nil {
		t.Fatalf("after adding the subkey: %v", err)
	}
}

// Certifications of the unit's key by other people's keys are not kept:
// they would tell a seized server who vouches for the unit.
func TestInteropThirdPartyCertificationsDropped(t *testing.T) {
	g := newGnuPG(t)
	unit := g.genKey("Unit <unit@candor.test>", "ed25519", "cv25519", "")
	friend := g.genKey("Friend <friend@candor.test>", "ed25519", "", "")
	g.run(nil, "--default-key", friend, "--quick-sign-key", unit)
	exported := g.run(nil, "--export", unit)
	friendID := friend[len(friend)-16:]
	if n := countSigsBy(t, exported, friendID); n == 0 {
		t.Fatal("test setup: gpg export has no certification by the friend")
	}
	k, err := ParsePublicKey(exported)
	if err != nil {
		t.Fatal(err)
	}
	if n := countSigsBy(t, k.Bytes(), friendID); n != 0 {
		t.Fatalf("%d third-party certifications kept", n)
	}
	// The key still works with gpg after the round trip.
	ct, err := EncryptBytes([]byte("still fine"), k)
	if err != nil {
		t.Fatal(err)
	}
	if got := g.run(ct, "--decrypt"); string(got) != "still fine" {
		t.Fatalf("%q", got)
	}
}

// countSigsBy counts signature packets issued by the key with the given
// 16-hex-digit key ID.
func countSigsBy(t *testing.T, data []byte, keyID string) int {
	t.Helper()
	r := packet.NewReader(bytes.NewReader(data))
	n := 0
	for {
		p, err := r.Next()
		if err != nil {
			return n
		}
		if s, ok := p.(*packet.Signature); ok && s.IssuerKeyId != nil && strings.EqualFold(fmt.Sprintf("%016X", *s.IssuerKeyId), keyID) {
			n++
		}
	}
}

// An expired encryption subkey is refused with a hint that fits.
func TestInteropGnuPGExpiredSubkey(t *testing.T) {
	g := newGnuPG(t)
	// A key made three days ago whose encryption subkey lived one day.
	past := fmt.Sprint(time.Now().Add(-72*time.Hour).Unix()) + "!"
	g.run(nil, "--faked-system-time", past, "--passphrase", "", "--quick-gen-key", "Old <old@candor.test>", "ed25519", "sign", "0")
	fpr := g.fingerprint("Old <old@candor.test>")
	g.run(nil, "--faked-system-time", past, "--passphrase", "", "--quick-add-key", fpr, "cv25519", "encr", "1d")
	_, err := ParsePublicKey(g.run(nil, "--export", fpr))
	if !errors.Is(err, ErrNoEncryptionKey) || !strings.Contains(err.Error(), "gpg --quick-set-expire "+fpr+" 2y '*'") {
		t.Fatalf("%v", err)
	}
}

// gpg's signed-and-encrypted and compressed messages decrypt with both
// readers (the signature is ignored: it is not what DecryptTo vouches for).
func TestInteropGnuPGSignedMessage(t *testing.T) {
	g := newGnuPG(t)
	fpr := g.genKey("Signed <signed@candor.test>", "ed25519", "cv25519", "")
	k, err := ParsePrivateKey(g.run(nil, "--export-secret-keys", fpr), nil)
	if err != nil {
		t.Fatal(err)
	}
	pt := append(randomBytes(t, 70_000), bytes.Repeat([]byte("squeeze "), 20_000)...)
	for _, args := range [][]string{
		{"--sign", "--encrypt"},
		{"--compress-algo", "zlib", "--encrypt"},
		{"--compress-algo", "bzip2", "--encrypt"},
		{"--compress-algo", "none", "--sign", "--encrypt"},
	} {
		ct := g.run(pt, append(args, "--recipient", fpr)...)
		bothReaders(t, func(t *testing.T) {
			got, err := DecryptBytes(ct, k)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("%v: %v", args, err)
			}
			bad := bytes.Clone(ct)
			bad[len(bad)-100] ^= 4
			if _, err := DecryptBytes(bad, k); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("%v tampered: %v", args, err)
			}
		})
	}
}
