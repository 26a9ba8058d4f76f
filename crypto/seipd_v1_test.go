package crypto

import (
	"bytes"
	"errors"
	"os/exec"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Sizes around the 18-byte prefix, the 16-byte block, the 64 KiB chunk
// and the partial-length framing of the fast SEIPD v1 writer.
var boundarySizes = []int{0, 1, 2, 13, 14, 15, 16, 17, 18, 190, 191, 192, 8383, 8384,
	seipdChunk - 25, seipdChunk - 18, seipdChunk - 16, seipdChunk, seipdChunk + 1,
	2*seipdChunk - 3, 3*seipdChunk + 5, 1<<20 + 7}

func TestFastSEIPDv1RoundTrip(t *testing.T) {
	if !fastSEIPDv1 {
		t.Fatal("fast writer switched off")
	}
	k := testKey(t, ProfileGnuPG, "alice")
	for _, n := range boundarySizes {
		pt := randomBytes(t, n)
		ct, err := EncryptBytes(pt, k.Public())
		if err != nil {
			t.Fatal(err)
		}
		if v := seipdVersion(t, ct); v != 1 {
			t.Fatalf("SEIPD v%d", v)
		}
		got, err := DecryptBytes(ct, k)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d: %v", n, err)
		}
		// Written in small pieces, the message is the same size.
		var buf bytes.Buffer
		w, _ := Encrypt(&buf, k.Public())
		for i := 0; i < len(pt); i += 7 {
			w.Write(pt[i:min(i+7, len(pt))])
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err = DecryptBytes(buf.Bytes(), k)
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("size %d in pieces: %v", n, err)
		}
	}
}

// The fast writer's output has the same shape as go-crypto's: the same
// packets, the same length, only the random parts differ.
func TestFastSEIPDv1MatchesStock(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	pt := randomBytes(t, 3*seipdChunk+100)
	fast, err := EncryptBytes(pt, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	fastSEIPDv1 = false
	stock, err := EncryptBytes(pt, k.Public())
	fastSEIPDv1 = true
	if err != nil {
		t.Fatal(err)
	}
	// go-crypto frames with different partial lengths; compare contents.
	if d := len(fast) - len(stock); d < -16 || d > 16 {
		t.Fatalf("fast %d bytes, stock %d bytes", len(fast), len(stock))
	}
	for _, ct := range [][]byte{fast, stock} {
		if got, err := DecryptBytes(ct, k); err != nil || !bytes.Equal(got, pt) {
			t.Fatal(err)
		}
	}
}

func TestFastSEIPDv1Tampering(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	pt := randomBytes(t, 2*seipdChunk+10)
	ct, err := EncryptBytes(pt, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	// Every 997th byte from the start of the encrypted data packet on.
	start := bytes.IndexByte(ct, tagSEIPD)
	for pos := start + 3; pos < len(ct); pos += 997 {
		bad := bytes.Clone(ct)
		bad[pos] ^= 0x10
		if _, err := DecryptBytes(bad, k); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flip at %d accepted", pos)
		}
	}
	for pos := len(ct) - 22; pos < len(ct); pos++ { // the MDC itself
		bad := bytes.Clone(ct)
		bad[pos] ^= 0x01
		if _, err := DecryptBytes(bad, k); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("flip in MDC at %d accepted", pos)
		}
	}
}

func TestFastSEIPDv1Fallbacks(t *testing.T) {
	// Recipients that all support SEIPD v2 get AEAD from go-crypto.
	r := testKey(t, ProfileRFC9580, "carol")
	ct, _ := EncryptBytes([]byte("x"), r.Public())
	if v := seipdVersion(t, ct); v != 2 {
		t.Fatalf("SEIPD v%d", v)
	}
	// A key that does not list AES-256 goes through go-crypto, which
	// picks a cipher it lists.
	k := testKey(t, ProfileGnuPG, "alice")
	el, err := readKeyRing(k.Public().Bytes())
	if err != nil {
		t.Fatal(err)
	}
	sig, _ := el[0].PrimarySelfSignature()
	sig.PreferredSymmetric = []byte{uint8(packet.CipherAES128)}
	aes128 := &PublicKey{k: &publicKey{e: el[0]}}
	w, ok, err := encryptSEIPDv1(&bytes.Buffer{}, []*openpgp.Entity{aes128.k.e})
	if ok || err != nil || w != nil {
		t.Fatalf("fast path taken for an AES-128-only key: %v %v", ok, err)
	}
	ct, err = EncryptBytes([]byte("aes128"), aes128)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecryptBytes(ct, k); err != nil || string(got) != "aes128" {
		t.Fatal(err)
	}
}

func TestFastSEIPDv1WriteError(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	boom := errors.New("disk full")
	fw := &failAfter{n: 1000, err: boom}
	w, err := Encrypt(fw, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	_, werr := w.Write(randomBytes(t, 4*seipdChunk))
	cerr := w.Close()
	if !errors.Is(werr, boom) && !errors.Is(cerr, boom) {
		t.Fatalf("write error lost: %v, %v", werr, cerr)
	}
}

type failAfter struct {
	n   int
	err error
}

func (f *failAfter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, f.err
	}
	f.n -= len(p)
	return len(p), nil
}

// gpg and sq read the fast writer's output at every boundary size.
func TestInteropFastSEIPDv1Sizes(t *testing.T) {
	g := newGnuPG(t)
	k := testKey(t, ProfileGnuPG, "alice")
	arm, _ := k.MarshalArmored(nil)
	g.run(arm, "--import")
	keyFile := writeTemp(t, "key.asc", arm)
	for _, n := range boundarySizes {
		pt := randomBytes(t, n)
		ct, err := EncryptBytes(pt, k.Public())
		if err != nil {
			t.Fatal(err)
		}
		if got := g.run(ct, "--decrypt"); !bytes.Equal(got, pt) {
			t.Fatalf("gpg, size %d: plaintext differs", n)
		}
		cmd := exec.Command("sq", "decrypt", "--recipient-key", keyFile)
		cmd.Stdin = bytes.NewReader(ct)
		got, err := cmd.Output()
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("sq, size %d: %v", n, err)
		}
	}
}
