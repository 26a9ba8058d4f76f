package crypto

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// craftV1 builds a message to k's encryption subkey: one PKESK v3 for
// sessionKey with cipher c, then a SEIPD v1 packet whose decrypted body is
// prefix(18) || inner, where inner is what mk returns given the bytes
// hashed so far (the prefix).
func craftV1(t *testing.T, k *PrivateKey, c packet.CipherFunction, sessionKey []byte, mk func(prefix []byte) []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	ek, ok := k.Public().k.e.EncryptionKey(time.Now())
	if !ok {
		t.Fatal("no encryption key")
	}
	if err := packet.SerializeEncryptedKeyAEAD(&out, ek.PublicKey, c, false, sessionKey, nil); err != nil {
		t.Fatal(err)
	}
	prefix := make([]byte, 18)
	copy(prefix, "0123456789abcdef")
	prefix[16], prefix[17] = prefix[14], prefix[15]
	plain := append(bytes.Clone(prefix), mk(prefix)...)
	block, err := aes.NewCipher(sessionKey)
	if err != nil {
		t.Fatal(err)
	}
	ct := make([]byte, len(plain))
	cipher.NewCFBEncrypter(block, make([]byte, 16)).XORKeyStream(ct, plain)
	body := append([]byte{1}, ct...)
	out.WriteByte(tagSEIPD)
	out.WriteByte(255)
	out.Write(binary.BigEndian.AppendUint32(nil, uint32(len(body))))
	out.Write(body)
	return out.Bytes()
}

func literal(data []byte) []byte {
	b := []byte{0xc0 | 11, 255}
	b = binary.BigEndian.AppendUint32(b, uint32(6+len(data)))
	b = append(b, 'b', 0, 0, 0, 0, 0)
	return append(b, data...)
}

func mdc(hashed ...[]byte) []byte {
	h := sha1.New()
	for _, b := range hashed {
		h.Write(b)
	}
	h.Write([]byte{0xd3, 0x14})
	return h.Sum([]byte{0xd3, 0x14})
}

func TestCraftedSEIPDv1(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	key32 := bytes.Repeat([]byte{7}, 32)
	key16 := bytes.Repeat([]byte{9}, 16)
	lit := literal([]byte("hello"))
	cases := []struct {
		name   string
		c      packet.CipherFunction
		key    []byte
		mk     func(p []byte) []byte
		wantOK bool
	}{
		{"good", packet.CipherAES256, key32, func(p []byte) []byte { return append(bytes.Clone(lit), mdc(p, lit)...) }, true},
		{"good aes128", packet.CipherAES128, key16, func(p []byte) []byte { return append(bytes.Clone(lit), mdc(p, lit)...) }, true},
		{"empty literal", packet.CipherAES256, key32, func(p []byte) []byte { l := literal(nil); return append(l, mdc(p, l)...) }, true},
		{"no literal", packet.CipherAES256, key32, func(p []byte) []byte { return mdc(p) }, false},
		{"prefix only", packet.CipherAES256, key32, func(p []byte) []byte { return nil }, false},
		{"short mdc", packet.CipherAES256, key32, func(p []byte) []byte { return append(bytes.Clone(lit), mdc(p, lit)[:21]...) }, false},
		{"no mdc", packet.CipherAES256, key32, func(p []byte) []byte { return bytes.Clone(lit) }, false},
		{"data after mdc", packet.CipherAES256, key32, func(p []byte) []byte { return append(append(bytes.Clone(lit), mdc(p, lit)...), 0) }, false},
		{"mdc hash without prefix", packet.CipherAES256, key32, func(p []byte) []byte { return append(bytes.Clone(lit), mdc(lit)...) }, false},
		{"wrong mdc tag, consistent hash", packet.CipherAES256, key32, func(p []byte) []byte {
			h := sha1.New()
			h.Write(p)
			h.Write(lit)
			h.Write([]byte{0xd3, 0x15})
			return append(append(bytes.Clone(lit), 0xd3, 0x15), h.Sum(nil)...)
		}, false},
		{"mdc inside plaintext then more", packet.CipherAES256, key32, func(p []byte) []byte {
			// A valid MDC for prefix||lit, then trailing bytes: the last 22
			// bytes are not a valid MDC, so the message must be refused.
			return append(append(bytes.Clone(lit), mdc(p, lit)...), bytes.Repeat([]byte{0xd3}, 30)...)
		}, false},
	}
	for _, tc := range cases {
		msg := craftV1(t, k, tc.c, tc.key, tc.mk)
		bothReaders(t, func(t *testing.T) {
			got, err := DecryptBytes(msg, k)
			if tc.wantOK {
				if err != nil {
					t.Fatalf("%s: %v", tc.name, err)
				}
				return
			}
			if !errors.Is(err, ErrDecrypt) {
				t.Fatalf("%s: accepted (%q, %v)", tc.name, got, err)
			}
		})
	}
}

// A second Close writes nothing more and reports the first Close's result;
// Write after Close fails instead of dropping the data. (go-crypto's own
// writer, used for the RFC 9580 profile, appended an empty chunk to the
// finished message on a second Close.)
func TestEncryptCloseIdempotent(t *testing.T) {
	for _, p := range []Profile{ProfileGnuPG, ProfileRFC9580} {
		k := testKey(t, p, "alice")
		var buf bytes.Buffer
		w, err := Encrypt(&buf, k.Public())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte("report")); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		n := buf.Len()
		if err := w.Close(); err != nil {
			t.Errorf("profile %d: second Close: %v", p, err)
		}
		if _, err := w.Write(make([]byte, 100_000)); err == nil {
			t.Errorf("profile %d: Write after Close reported success", p)
		}
		if buf.Len() != n {
			t.Errorf("profile %d: %d bytes written after Close", p, buf.Len()-n)
		}
		if got, err := DecryptBytes(buf.Bytes(), k); err != nil || string(got) != "report" {
			t.Errorf("profile %d: %q, %v", p, got, err)
		}
	}
}

// Sizes at which the fast writer's last body chunk is empty (a definite
// length of 0 after full partial chunks): gpg, sq and both readers accept it.
func TestInteropSEIPDv1EmptyLastChunk(t *testing.T) {
	g := newGnuPG(t)
	k := testKey(t, ProfileGnuPG, "alice")
	arm, _ := k.MarshalArmored(nil)
	g.run(arm, "--import")
	keyFile := writeTemp(t, "key.asc", arm)
	for _, n := range []int{seipdChunk - 53, 2*seipdChunk - 53} {
		pt := randomBytes(t, n)
		var rec lastWrites
		w, err := Encrypt(&rec, k.Public())
		if err != nil {
			t.Fatal(err)
		}
		w.Write(pt)
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(rec.prev, []byte{0}) || len(rec.last) != 0 {
			t.Fatalf("size %d: last chunk is not empty (header % x, %d bytes)", n, rec.prev, len(rec.last))
		}
		ct := rec.buf.Bytes()
		if got := g.run(ct, "--decrypt"); !bytes.Equal(got, pt) {
			t.Fatalf("gpg, size %d: plaintext differs", n)
		}
		cmd := exec.Command("sq", "decrypt", "--recipient-key", keyFile)
		cmd.Stdin = bytes.NewReader(ct)
		if got, err := cmd.Output(); err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("sq, size %d: %v", n, err)
		}
		bothReaders(t, func(t *testing.T) {
			if got, err := DecryptBytes(ct, k); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("size %d: %v", n, err)
			}
		})
	}
}

// lastWrites keeps everything written and the last two Write calls.
type lastWrites struct {
	buf        bytes.Buffer
	prev, last []byte
}

func (l *lastWrites) Write(p []byte) (int, error) {
	l.prev, l.last = l.last, bytes.Clone(p)
	return l.buf.Write(p)
}

// A revoked key, or a key whose only encryption subkey is revoked, is
// refused on import; the hint for a revoked key does not suggest adding a
// subkey to it.
func TestParsePublicKeyRevoked(t *testing.T) {
	for _, sub := range []bool{false, true} {
		k, err := GenerateSubmissionKey("revoked <r@candor.test>", ProfileGnuPG) // not the shared test key: it is changed here
		if err != nil {
			t.Fatal(err)
		}
		e := k.k.e
		if sub {
			err = e.RevokeSubkey(&e.Subkeys[0], packet.KeyCompromised, "lost", nil)
		} else {
			err = e.RevokeKey(packet.KeyCompromised, "lost", nil)
		}
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := e.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		_, err = ParsePublicKey(buf.Bytes())
		if !errors.Is(err, ErrNoEncryptionKey) {
			t.Fatalf("revoked (subkey %v) accepted: %v", sub, err)
		}
		if revoked := strings.Contains(err.Error(), "revoked"); revoked == sub {
			t.Errorf("subkey %v: hint %q", sub, err)
		}
	}
}
