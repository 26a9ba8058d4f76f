package crypto

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

var profiles = []struct {
	name string
	p    Profile
}{{"gnupg", ProfileGnuPG}, {"rfc9580", ProfileRFC9580}}

// testKeys caches one generated key per profile and name.
var (
	testKeysMu sync.Mutex
	testKeys   = map[string]*PrivateKey{}
)

func testKey(t testing.TB, p Profile, name string) *PrivateKey {
	t.Helper()
	testKeysMu.Lock()
	defer testKeysMu.Unlock()
	id := fmt.Sprint(p, name)
	if k, ok := testKeys[id]; ok {
		return k
	}
	k, err := GenerateSubmissionKey(name+" <"+name+"@candor.test>", p)
	if err != nil {
		t.Fatal(err)
	}
	testKeys[id] = k
	return k
}

func randomBytes(t testing.TB, n int) []byte {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func TestRoundTrip(t *testing.T) {
	sizes := []int{0, 1, 100, 8191, 8192, 8193, 1 << 20}
	for _, pr := range profiles {
		t.Run(pr.name, func(t *testing.T) {
			k := testKey(t, pr.p, "alice")
			for _, n := range sizes {
				pt := randomBytes(t, n)
				ct, err := EncryptBytes(pt, k.Public())
				if err != nil {
					t.Fatal(err)
				}
				if n > 100 && bytes.Contains(ct, pt[:64]) {
					t.Fatal("plaintext visible in ciphertext")
				}
				got, err := DecryptBytes(ct, k)
				if err != nil {
					t.Fatalf("size %d: %v", n, err)
				}
				if !bytes.Equal(got, pt) {
					t.Fatalf("size %d: plaintext differs", n)
				}
			}
		})
	}
}

func TestSeveralRecipients(t *testing.T) {
	a := testKey(t, ProfileGnuPG, "alice")
	b := testKey(t, ProfileGnuPG, "bob")
	c := testKey(t, ProfileRFC9580, "carol")
	outsider := testKey(t, ProfileGnuPG, "mallory")
	pt := []byte("report: officer X took money at the checkpoint")
	for _, to := range [][]*PrivateKey{{a, b}, {a, b, c}, {c, a}} {
		pubs := make([]*PublicKey, len(to))
		for i, k := range to {
			pubs[i] = k.Public()
		}
		ct, err := EncryptBytes(pt, pubs...)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range to {
			got, err := DecryptBytes(ct, k)
			if err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("recipient %s: %v", k, err)
			}
		}
		if _, err := DecryptBytes(ct, outsider); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("non-recipient: got %v, want ErrDecrypt", err)
		}
		// Several keys at once, only one of which can decrypt.
		if got, err := DecryptBytes(ct, outsider, to[len(to)-1]); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("keyring with one right key: %v", err)
		}
	}
}

// seipdVersion returns the version of the encrypted data packet of a
// message: 1 for SEIPD v1 (MDC), 2 for SEIPD v2 (AEAD).
func seipdVersion(t *testing.T, msg []byte) int {
	t.Helper()
	r := packet.NewReader(bytes.NewReader(msg))
	for {
		p, err := r.Next()
		if err != nil {
			t.Fatalf("no encrypted data packet: %v", err)
		}
		switch p := p.(type) {
		case *packet.SymmetricallyEncrypted:
			if !p.IntegrityProtected {
				t.Fatal("not integrity protected")
			}
			return p.Version
		case *packet.AEADEncrypted:
			t.Fatal("unexpected AEAD encrypted data packet (tag 20)")
		}
	}
}

func TestProfileSelectsPacketVersion(t *testing.T) {
	g := testKey(t, ProfileGnuPG, "alice").Public()
	r := testKey(t, ProfileRFC9580, "carol").Public()
	for _, c := range []struct {
		name string
		to   []*PublicKey
		want int
	}{
		{"gnupg", []*PublicKey{g}, 1},
		{"rfc9580", []*PublicKey{r}, 2},
		{"mixed", []*PublicKey{r, g}, 1},
	} {
		ct, err := EncryptBytes([]byte("x"), c.to...)
		if err != nil {
			t.Fatal(err)
		}
		if v := seipdVersion(t, ct); v != c.want {
			t.Errorf("%s: SEIPD v%d, want v%d", c.name, v, c.want)
		}
	}
}

func TestGnuPGProfilePreferences(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice").Public()
	if v := k.Version(); v != 4 {
		t.Fatalf("version %d, want 4", v)
	}
	e := k.k.e
	if e.PrimaryKey.PubKeyAlgo != packet.PubKeyAlgoEdDSA {
		t.Errorf("primary algorithm %v, want EdDSA (legacy Ed25519)", e.PrimaryKey.PubKeyAlgo)
	}
	sub, ok := e.EncryptionKey(e.PrimaryKey.CreationTime)
	if !ok || sub.PublicKey.PubKeyAlgo != packet.PubKeyAlgoECDH {
		t.Fatalf("no ECDH encryption subkey")
	}
	if c, _ := sub.PublicKey.Curve(); c != packet.Curve25519 {
		t.Errorf("subkey curve %v, want Curve25519", c)
	}
	sig, _ := e.PrimarySelfSignature()
	if sig.SEIPDv2 {
		t.Error("GnuPG profile key advertises SEIPD v2")
	}
	if !sig.SEIPDv1 {
		t.Error("GnuPG profile key does not advertise SEIPD v1 (MDC)")
	}
	if !bytes.Equal(sig.PreferredSymmetric, []byte{uint8(packet.CipherAES256)}) {
		t.Errorf("symmetric preferences %v, want [AES-256]", sig.PreferredSymmetric)
	}
	if !bytes.Equal(sig.PreferredCompression, []byte{uint8(packet.CompressionNone)}) {
		t.Errorf("compression preferences %v, want [none]", sig.PreferredCompression)
	}
	// The preferences survive a round trip through the armored form.
	k2, err := ParsePublicKey([]byte(k.Armored()))
	if err != nil {
		t.Fatal(err)
	}
	sig2, _ := k2.k.e.PrimarySelfSignature()
	if sig2.SEIPDv2 || !bytes.Equal(sig2.PreferredSymmetric, []byte{9}) {
		t.Error("preferences lost in serialisation")
	}
}

func TestRFC9580Profile(t *testing.T) {
	k := testKey(t, ProfileRFC9580, "carol").Public()
	if v := k.Version(); v != 6 {
		t.Fatalf("version %d, want 6", v)
	}
	sig, _ := k.k.e.PrimarySelfSignature()
	if !sig.SEIPDv2 {
		t.Error("RFC 9580 key does not advertise SEIPD v2")
	}
	if len(k.Fingerprint()) != 64 {
		t.Errorf("v6 fingerprint %q", k.Fingerprint())
	}
}

func TestNoCompression(t *testing.T) {
	// Compressible plaintext: a message that were compressed would be far
	// shorter than the plaintext.
	pt := bytes.Repeat([]byte("a"), 1<<16)
	for _, pr := range profiles {
		ct, err := EncryptBytes(pt, testKey(t, pr.p, "alice").Public())
		if err != nil {
			t.Fatal(err)
		}
		if len(ct) < len(pt) {
			t.Errorf("%s: ciphertext %d bytes for %d bytes of plaintext: compressed", pr.name, len(ct), len(pt))
		}
	}
}

func TestTamperedCiphertext(t *testing.T) {
	for _, pr := range profiles {
		t.Run(pr.name, func(t *testing.T) {
			k := testKey(t, pr.p, "alice")
			pt := randomBytes(t, 100_000)
			ct, err := EncryptBytes(pt, k.Public())
			if err != nil {
				t.Fatal(err)
			}
			positions := []int{len(ct) / 2, len(ct) - 30, len(ct) - 1, len(ct) - 2, 300}
			for _, pos := range positions {
				bad := bytes.Clone(ct)
				bad[pos] ^= 0x01
				if got, err := DecryptBytes(bad, k); !errors.Is(err, ErrDecrypt) || got != nil {
					t.Errorf("flip at %d/%d: err=%v, %d bytes returned", pos, len(ct), err, len(got))
				}
				var dst bytes.Buffer
				if err := DecryptTo(&dst, bytes.NewReader(bad), k); err != ErrDecrypt {
					t.Errorf("DecryptTo flip at %d: err=%v, want exactly ErrDecrypt", pos, err)
				}
			}
			for _, n := range []int{len(ct) - 1, len(ct) - 22, len(ct) / 2, 10} {
				if _, err := DecryptBytes(ct[:n], k); !errors.Is(err, ErrDecrypt) {
					t.Errorf("truncated to %d: err=%v", n, err)
				}
			}
			// Bytes after the message are not part of it: they are either
			// refused or ignored, never returned as plaintext.
			if got, err := DecryptBytes(append(bytes.Clone(ct), 0xc0, 0x01, 'x'), k); err == nil && !bytes.Equal(got, pt) {
				t.Error("trailing bytes changed the plaintext")
			}
		})
	}
}

// TestDecryptToWritesBeforeTheCheck shows why the caller must discard dst
// on error: with SEIPD v1 the MDC comes last, so most of a tampered
// message has been written out when ErrDecrypt arrives.
func TestDecryptToWritesBeforeTheCheck(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	pt := randomBytes(t, 1<<20)
	ct, err := EncryptBytes(pt, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	ct[len(ct)-1] ^= 0x80 // inside the MDC
	var dst bytes.Buffer
	err = DecryptTo(&dst, bytes.NewReader(ct), k)
	if err != ErrDecrypt {
		t.Fatalf("err=%v, want ErrDecrypt", err)
	}
	// Document the hazard the caller must handle: most of the plaintext
	// was already written when the error came.
	if dst.Len() < len(pt)/2 {
		t.Logf("only %d bytes written before the failure", dst.Len())
	}
}

func TestDecryptToDestinationError(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	ct, err := EncryptBytes(randomBytes(t, 100_000), k.Public())
	if err != nil {
		t.Fatal(err)
	}
	boom := errors.New("disk full")
	err = DecryptTo(failWriter{boom}, bytes.NewReader(ct), k)
	if !errors.Is(err, boom) {
		t.Fatalf("err=%v, want the writer's error", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestDecryptArmoredMessage(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	ct, err := EncryptBytes([]byte("armored"), k.Public())
	if err != nil {
		t.Fatal(err)
	}
	var arm bytes.Buffer
	w, _ := armorEncode(&arm, armorMessage)
	w.Write(ct)
	w.Close()
	got, err := DecryptBytes(arm.Bytes(), k)
	if err != nil || string(got) != "armored" {
		t.Fatalf("%v %q", err, got)
	}
}

func TestDecryptRefusesUnencrypted(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	// A bare literal data packet: valid OpenPGP, but not encrypted.
	var lit bytes.Buffer
	w, err := packet.SerializeLiteral(nopCloser{&lit}, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	io.WriteString(w, "not secret")
	w.Close()
	if _, err := DecryptBytes(lit.Bytes(), k); !errors.Is(err, ErrDecrypt) {
		t.Fatalf("literal message: err=%v", err)
	}
	for _, junk := range [][]byte{nil, {}, []byte("hello"), randomBytes(t, 1000), []byte("-----BEGIN PGP MESSAGE-----\n\nxx\n-----END PGP MESSAGE-----\n")} {
		if _, err := DecryptBytes(junk, k); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("junk %q: err=%v", junk, err)
		}
	}
	if _, err := DecryptBytes([]byte("x")); !errors.Is(err, ErrDecrypt) {
		t.Fatal("no keys")
	}
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

func TestEncryptNeedsRecipient(t *testing.T) {
	if _, err := Encrypt(io.Discard); err == nil {
		t.Fatal("no recipient accepted")
	}
	if _, err := Encrypt(io.Discard, nil); err == nil {
		t.Fatal("nil recipient accepted")
	}
}

func TestPrivateKeyMarshal(t *testing.T) {
	for _, pr := range profiles {
		t.Run(pr.name, func(t *testing.T) {
			k := testKey(t, pr.p, "alice")
			ct, err := EncryptBytes([]byte("secret"), k.Public())
			if err != nil {
				t.Fatal(err)
			}
			for _, pass := range [][]byte{nil, []byte("correct horse")} {
				arm, err := k.MarshalArmored(pass)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.HasPrefix(arm, []byte("-----BEGIN PGP PRIVATE KEY BLOCK-----")) {
					t.Fatalf("not armored: %.40q", arm)
				}
				k2, err := ParsePrivateKey(arm, pass)
				if err != nil {
					t.Fatal(err)
				}
				if k2.Fingerprint() != k.Fingerprint() {
					t.Fatal("fingerprint changed")
				}
				if got, err := DecryptBytes(ct, k2); err != nil || string(got) != "secret" {
					t.Fatalf("reloaded key does not decrypt: %v", err)
				}
				if pass == nil {
					continue
				}
				// Protected: the passphrase is required and checked.
				if _, err := ParsePrivateKey(arm, nil); !errors.Is(err, ErrPassphrase) {
					t.Errorf("no passphrase: %v", err)
				}
				if _, err := ParsePrivateKey(arm, []byte("wrong")); !errors.Is(err, ErrPassphrase) {
					t.Errorf("wrong passphrase: %v", err)
				}
				// The protected file does not contain the clear secret.
				clearArm, _ := k.MarshalArmored(nil)
				if bytes.Equal(clearArm, arm) {
					t.Error("passphrase did not change the output")
				}
			}
			// The key still works after marshalling (not left locked).
			if _, err := DecryptBytes(ct, k); err != nil {
				t.Fatal("key locked by MarshalArmored")
			}
		})
	}
}

func TestParseKeyForms(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	pub := k.Public()
	for name, data := range map[string][]byte{
		"armored":        []byte(pub.Armored()),
		"binary":         pub.Bytes(),
		"armored+spaces": []byte("\n\n  " + pub.Armored()),
	} {
		p, err := ParsePublicKey(data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if p.Fingerprint() != k.Fingerprint() {
			t.Fatalf("%s: fingerprint", name)
		}
	}
	priv, _ := k.MarshalArmored(nil)
	if _, err := ParsePublicKey(priv); err == nil {
		t.Error("ParsePublicKey accepted a private key")
	}
	if _, err := ParsePrivateKey([]byte(pub.Armored()), nil); err == nil {
		t.Error("ParsePrivateKey accepted a public key")
	}
	two := append(bytes.Clone(pub.Bytes()), testKey(t, ProfileGnuPG, "bob").Public().Bytes()...)
	if _, err := ParsePublicKey(two); err == nil {
		t.Error("ParsePublicKey accepted two keys")
	}
	ring, err := ParsePublicKeys(two)
	if err != nil || len(ring) != 2 {
		t.Fatalf("ParsePublicKeys: %v %d", err, len(ring))
	}
	for _, junk := range [][]byte{nil, []byte("hello"), randomBytes(t, 500), []byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n=AAAA\n-----END PGP PUBLIC KEY BLOCK-----\n")} {
		if _, err := ParsePublicKey(junk); err == nil {
			t.Errorf("junk %q accepted", junk)
		}
		if _, err := ParsePrivateKey(junk, nil); err == nil {
			t.Errorf("junk %q accepted as private key", junk)
		}
	}
}

func TestKeyWithoutEncryptionSubkey(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	// Strip the encryption subkey from a copy of the certificate.
	e, err := readKeyRing(k.Public().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	e[0].Subkeys = nil
	var buf bytes.Buffer
	if err := e[0].Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	_, err = ParsePublicKey(buf.Bytes())
	if !errors.Is(err, ErrNoEncryptionKey) {
		t.Fatalf("err=%v, want ErrNoEncryptionKey", err)
	}
	want := "gpg --quick-add-key " + k.Fingerprint() + " cv25519 encr"
	if !strings.Contains(err.Error(), want) {
		t.Fatalf("error %q does not name the fix %q", err, want)
	}
}

func TestKeysPrintNoSecret(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	clearArm, _ := k.MarshalArmored(nil)
	body := string(clearArm[40:100]) // a stretch of the secret armor
	for _, s := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %s %#v", k, k, k, k)} {
		if !strings.Contains(s, k.Fingerprint()) {
			t.Errorf("%q does not show the fingerprint", s)
		}
		if strings.Contains(s, body) || len(s) > 400 {
			t.Errorf("%q prints key material", s)
		}
	}
}

func TestEncryptionFingerprints(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice").Public()
	fps := k.EncryptionFingerprints()
	if len(fps) != 1 || fps[0] == k.Fingerprint() || len(fps[0]) != 40 {
		t.Fatalf("%v", fps)
	}
}

func TestEncryptStreamsWithoutBuffering(t *testing.T) {
	// The writer hands ciphertext to dst while plaintext is still being
	// written: after 4 MiB in, most of it has come out.
	k := testKey(t, ProfileGnuPG, "alice")
	var out countWriter
	w, err := Encrypt(&out, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	chunk := make([]byte, 1<<16)
	for range 64 {
		w.Write(chunk)
	}
	if out.n < 3<<20 {
		t.Fatalf("only %d bytes out after 4 MiB in: the writer buffers", out.n)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

type countWriter struct{ n int }

func (c *countWriter) Write(p []byte) (int, error) { c.n += len(p); return len(p), nil }

func TestS2KCostLimit(t *testing.T) {
	k := testKey(t, ProfileRFC9580, "alice")
	arm, err := k.MarshalArmored([]byte("pw"))
	if err != nil {
		t.Fatal(err)
	}
	bin, err := dearmor(arm, armorPrivate)
	if err != nil {
		t.Fatal(err)
	}
	el, err := readKeyRing(bin)
	if err != nil {
		t.Fatal(err)
	}
	if err := checkS2KCost(el[0]); err != nil {
		t.Fatalf("our own parameters refused: %v", err)
	}
	// Find our Argon2 memory exponent (16 = 64 MiB) after the salt and
	// raise it to 2^30 KiB: the key must be refused before hashing.
	marker := []byte{3, 4, 16} // passes, parallelism, memory exponent
	n := bytes.Count(bin, marker)
	if n == 0 {
		t.Fatal("Argon2 parameters not found in the key file")
	}
	bad := bytes.ReplaceAll(bin, marker, []byte{3, 4, 30})
	if _, err := ParsePrivateKey(bad, []byte("pw")); !errors.Is(err, errS2KCost) {
		t.Fatalf("err=%v, want errS2KCost", err)
	}
}

func TestGenerateUserID(t *testing.T) {
	for in, want := range map[string]string{
		"Unit":                               "Unit",
		"Internal Affairs <ia@example.org>":  "Internal Affairs <ia@example.org>",
		"Unit (2026 key) <unit@example.org>": "Unit (2026 key) <unit@example.org>",
		"  Unit <unit@example.org>  ":        "Unit <unit@example.org>",
	} {
		k, err := GenerateSubmissionKey(in, ProfileGnuPG)
		if err != nil {
			t.Fatalf("%q: %v", in, err)
		}
		var ids []string
		for id := range k.k.e.Identities {
			ids = append(ids, id)
		}
		if len(ids) != 1 || ids[0] != want {
			t.Errorf("%q: user IDs %q, want %q", in, ids, want)
		}
	}
	if _, err := GenerateSubmissionKey("x", Profile(9)); err == nil {
		t.Error("unknown profile accepted")
	}
}
