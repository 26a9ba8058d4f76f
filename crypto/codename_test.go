package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"
	"testing"

	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"

	"github.com/ProtonMail/go-crypto/openpgp/eddsa"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/hkdf"
)

const testCodename = "abacus abdomen abdominal abide abiding ability ablaze"

var (
	testPepper = bytes.Repeat([]byte{0x42}, 32)
	// cheapKDF keeps the tests fast; the default parameters are exercised
	// once in TestDeriveSourceDefaultParams.
	cheapKDF = KDFParams{Time: 1, MemoryKiB: 1024, Threads: 1}
)

func TestNewCodename(t *testing.T) {
	seen := map[string]bool{}
	for range 20 {
		c, err := NewCodename()
		if err != nil {
			t.Fatal(err)
		}
		words := strings.Split(c, " ")
		if len(words) != CodenameWords {
			t.Fatalf("%d words", len(words))
		}
		for _, w := range words {
			if !IsCodenameWord(w) {
				t.Fatalf("%q not in the wordlist", w)
			}
		}
		n, err := NormalizeCodename(c)
		if err != nil || n != c {
			t.Fatalf("a new codename is not normalised: %q %v", n, err)
		}
		if seen[c] {
			t.Fatal("codename repeated")
		}
		seen[c] = true
	}
	if n := CodenameWordCount(); n != 7776 {
		t.Fatalf("wordlist has %d words, want EFF large (7776)", n)
	}
}

func TestNormalizeCodename(t *testing.T) {
	ok := []string{
		testCodename,
		"ABACUS Abdomen abdominal abide abiding ability ablaze",
		"  abacus abdomen abdominal abide abiding ability ablaze  ",
		"abacus\tabdomen  abdominal\nabide   abiding ability\r\nablaze",
		"abacus\u00a0abdomen abdominal abide abiding ability ablaze", // no-break space
		"abacus abacus abacus abacus abacus abacus abacus",           // repeats are still 7 words
	}
	for _, in := range ok {
		got, err := NormalizeCodename(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if strings.Contains(got, "  ") || strings.TrimSpace(got) != got || strings.ToLower(got) != got {
			t.Errorf("%q: not normalised: %q", in, got)
		}
	}
	bad := []string{
		"",
		"   ",
		"abacus abdomen abdominal abide abiding ability",               // 6 words
		"abacus abdomen abdominal abide abiding ability ablaze abacus", // 8 words
		"abacus abdomen abdominal abide abiding ability notaword",      // not in list
		"abacus-abdomen abdominal abide abiding ability ablaze x",      // joined words
		"abacus abdomen abdominal abide abiding ability ablaze.",       // punctuation
		"abacus abdomen abdominal abide abiding ability ablaze\x00",    // NUL
		"аbacus abdomen abdominal abide abiding ability ablaze",        // Cyrillic а
	}
	for _, in := range bad {
		if _, err := NormalizeCodename(in); !errors.Is(err, ErrCodename) {
			t.Errorf("%q: err=%v, want ErrCodename", in, err)
		}
	}
	long := []string{
		strings.Repeat("a", MaxCodenameBytes+1),
		testCodename + strings.Repeat(" ", MaxCodenameBytes), // valid after trimming, but too long
		strings.Repeat(testCodename+" ", 100),
	}
	for _, in := range long {
		if _, err := NormalizeCodename(in); !errors.Is(err, ErrCodenameTooLong) {
			t.Errorf("%d bytes: err=%v, want ErrCodenameTooLong", len(in), err)
		}
	}
	// Exactly at the limit is fine.
	atLimit := testCodename + strings.Repeat(" ", MaxCodenameBytes-len(testCodename))
	if _, err := NormalizeCodename(atLimit); err != nil {
		t.Errorf("codename of exactly MaxCodenameBytes: %v", err)
	}
}

// countKDF replaces the Argon2id call with one that counts its calls.
func countKDF(t *testing.T) *atomic.Int32 {
	t.Helper()
	var n atomic.Int32
	orig := argon2IDKey
	argon2IDKey = func(password, salt []byte, time, memory uint32, threads uint8, keyLen uint32) []byte {
		n.Add(1)
		return orig(password, salt, time, memory, threads, keyLen)
	}
	t.Cleanup(func() { argon2IDKey = orig })
	return &n
}

func TestDeriveSourceRefusesBeforeKDF(t *testing.T) {
	calls := countKDF(t)
	for _, in := range []string{
		strings.Repeat("abacus ", 10_000), // 70 kB
		testCodename + strings.Repeat(" ", 1000),
		"abacus abdomen",
		testCodename + " abacus",
		"not a codename at all but seven",
	} {
		_, err := DeriveSource(in, testPepper, DefaultKDFParams)
		if !errors.Is(err, ErrCodename) && !errors.Is(err, ErrCodenameTooLong) {
			t.Errorf("%.30q: err=%v", in, err)
		}
	}
	if n := calls.Load(); n != 0 {
		t.Fatalf("Argon2id ran %d times for refused codenames", n)
	}
	if _, err := DeriveSource(testCodename, testPepper, cheapKDF); err != nil {
		t.Fatal(err)
	}
	if n := calls.Load(); n != 1 {
		t.Fatalf("Argon2id ran %d times for one login, want 1", n)
	}
}

func TestDeriveSourceDeterministic(t *testing.T) {
	a, err := DeriveSource(testCodename, testPepper, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	// Same codename typed differently: same identity.
	b, err := DeriveSource("  ABACUS abdomen\tabdominal abide abiding ability ablaze ", testPepper, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	if a.LookupID != b.LookupID {
		t.Fatal("same codename, different lookup id")
	}
	if a.PublicKey().Fingerprint() != b.PublicKey().Fingerprint() {
		t.Fatal("same codename, different fingerprint")
	}
	if !bytes.Equal(a.PublicKey().Bytes(), b.PublicKey().Bytes()) {
		t.Fatal("same codename, different public key bytes")
	}
	if len(a.LookupID) != 64 {
		t.Fatalf("lookup id %q", a.LookupID)
	}
	if strings.Contains(a.PublicKey().Fingerprint(), strings.ToUpper(a.LookupID[:16])) {
		t.Fatal("lookup id and key share bytes")
	}

	// Different pepper (another instance): everything differs.
	c, err := DeriveSource(testCodename, bytes.Repeat([]byte{0x43}, 32), cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	if c.LookupID == a.LookupID || c.PublicKey().Fingerprint() == a.PublicKey().Fingerprint() {
		t.Fatal("different pepper, same identity")
	}
	// Different codename: everything differs.
	d, err := DeriveSource("abacus abdomen abdominal abide abiding ability able", testPepper, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	if d.LookupID == a.LookupID || d.PublicKey().Fingerprint() == a.PublicKey().Fingerprint() {
		t.Fatal("different codename, same identity")
	}
	// Different KDF parameters: different identity.
	e, err := DeriveSource(testCodename, testPepper, KDFParams{Time: 2, MemoryKiB: 1024, Threads: 1})
	if err != nil {
		t.Fatal(err)
	}
	if e.LookupID == a.LookupID {
		t.Fatal("different parameters, same lookup id")
	}
}

// A golden value: if go-crypto or this package ever changes how the key
// is derived, existing sources would lose their replies. This test fails
// first.
func TestDeriveSourceGolden(t *testing.T) {
	a, err := DeriveSource(testCodename, testPepper, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	const (
		wantLookup = "07dffb51b066d672ab67cda662989351bcbf76086c316c3af12205460f70075b"
		wantFpr    = "7E1A1FE795342699484243D91C6FBC823D33F56D"
	)
	if a.LookupID != wantLookup || a.PublicKey().Fingerprint() != wantFpr {
		t.Fatalf("derivation changed:\n lookup %s\n fpr    %s", a.LookupID, a.PublicKey().Fingerprint())
	}
	// The primary key is the Ed25519 key whose seed is the first 32 bytes
	// of the "candor source key v1" stream: go-crypto really draws from it.
	seed := argon2.IDKey([]byte(testCodename), testPepper, cheapKDF.Time, cheapKDF.MemoryKiB, cheapKDF.Threads, 32)
	edSeed := make([]byte, 32)
	io.ReadFull(hkdf.New(sha256.New, seed, nil, []byte("candor source key v1")), edSeed)
	want := ed25519.NewKeyFromSeed(edSeed).Public().(ed25519.PublicKey)
	got := a.PublicKey().k.e.PrimaryKey.PublicKey.(*eddsa.PublicKey).X
	if !bytes.Equal(got, want) {
		t.Fatalf("primary key %x is not derived from the stream (%x)", got, want)
	}
}

func TestDeriveSourceKeyWorks(t *testing.T) {
	a, err := DeriveSource(testCodename, testPepper, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	// The server stores PublicKey().Bytes(); a reply encrypted to the
	// stored key (and to a submission key) decrypts with the key derived
	// again at the next login.
	stored, err := ParsePublicKey(a.PublicKey().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	sub := testKey(t, ProfileGnuPG, "alice")
	ct, err := EncryptBytes([]byte("reply"), stored, sub.Public())
	if err != nil {
		t.Fatal(err)
	}
	if v := seipdVersion(t, ct); v != 1 {
		t.Errorf("reply uses SEIPD v%d", v)
	}
	again, err := DeriveSource(testCodename, testPepper, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []*PrivateKey{again.PrivateKey(), sub} {
		if got, err := DecryptBytes(ct, k); err != nil || string(got) != "reply" {
			t.Fatalf("%v: %v", k, err)
		}
	}
	other, _ := DeriveSource("abacus abdomen abdominal abide abiding ability able", testPepper, cheapKDF)
	if _, err := DecryptBytes(ct, other.PrivateKey()); !errors.Is(err, ErrDecrypt) {
		t.Fatal("another codename decrypts the reply")
	}
	if s := fmt.Sprint(a); strings.Contains(s, "abacus") {
		t.Fatalf("String prints the codename: %q", s)
	}
}

// If go-crypto stopped drawing key material from the supplied stream, the
// key would be random and the source would lose access to every reply.
// DeriveSource must refuse rather than return such a key.
func TestDeriveSourceFailsClosed(t *testing.T) {
	orig := sourceKeyStream
	t.Cleanup(func() { sourceKeyStream = orig })

	sourceKeyStream = func([]byte) io.Reader { return rand.Reader }
	if id, err := DeriveSource(testCodename, testPepper, cheapKDF); err == nil {
		t.Fatalf("random key material accepted: %v", id)
	}
	// A generator that reads nothing from the stream is also refused.
	sourceKeyStream = func(seed []byte) io.Reader { return io.MultiReader() }
	if id, err := DeriveSource(testCodename, testPepper, cheapKDF); err == nil {
		t.Fatalf("empty stream accepted: %v", id)
	}
}

func TestDeriveSourceParams(t *testing.T) {
	for _, p := range []KDFParams{{}, {Time: 1, MemoryKiB: 1, Threads: 1}, {Time: 1, MemoryKiB: 1024}, {Time: 1000, MemoryKiB: 1024, Threads: 1}, {Time: 1, MemoryKiB: 1 << 30, Threads: 1}} {
		if _, err := DeriveSource(testCodename, testPepper, p); err == nil {
			t.Errorf("params %+v accepted", p)
		}
	}
	if _, err := DeriveSource(testCodename, []byte("short"), cheapKDF); err == nil {
		t.Error("short pepper accepted")
	}
}

func TestDeriveSourceDefaultParams(t *testing.T) {
	a, err := DeriveSource(testCodename, testPepper, DefaultKDFParams)
	if err != nil {
		t.Fatal(err)
	}
	b, err := DeriveSource(testCodename, testPepper, cheapKDF)
	if err != nil {
		t.Fatal(err)
	}
	if a.LookupID == b.LookupID {
		t.Fatal("parameters ignored")
	}
}

func ExampleNormalizeCodename() {
	c, err := NormalizeCodename("  Abacus ABDOMEN abdominal\tabide abiding  ability ablaze\n")
	fmt.Println(c, err)
	_, err = NormalizeCodename("abacus abdomen abdominal")
	fmt.Println(err)
	// Output:
	// abacus abdomen abdominal abide abiding ability ablaze <nil>
	// crypto: codename is not valid
}
