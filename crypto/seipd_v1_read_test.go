package crypto

import (
	"bytes"
	"errors"
	"testing"
	"testing/iotest"
)

// bothReaders runs f with the fast SEIPD v1 reader and with go-crypto's.
func bothReaders(t *testing.T, f func(t *testing.T)) {
	for _, fast := range []bool{true, false} {
		name := "fast"
		if !fast {
			name = "go-crypto"
		}
		t.Run(name, func(t *testing.T) {
			defer func(v bool) { fastDecryptV1 = v }(fastDecryptV1)
			fastDecryptV1 = fast
			f(t)
		})
	}
}

// No single-bit change anywhere in a message makes either reader return
// other plaintext; every change inside the encrypted data packet, and every
// truncation, is refused with ErrDecrypt. (A change in the session key
// packet may be harmless, e.g. in the unused high bits of an MPI's bit
// count; the plaintext is then the original.)
func TestDecryptEveryBitFlipAndTruncation(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	pt := []byte("a short report, tampered with in every possible place")
	ct, err := EncryptBytes(pt, k.Public())
	if err != nil {
		t.Fatal(err)
	}
	// One session key packet, new format, one-octet length: the encrypted
	// data packet follows it.
	if ct[0] != 0xc0|1 || ct[1] >= 192 || ct[2+int(ct[1])] != tagSEIPD {
		t.Fatalf("unexpected layout % x", ct[:4])
	}
	data := 2 + int(ct[1])
	bothReaders(t, func(t *testing.T) {
		if got, err := DecryptBytes(ct, k); err != nil || len(got) == 0 {
			t.Fatalf("untampered: %v", err)
		}
		for pos := range ct {
			for _, bit := range []byte{0x01, 0x80} {
				bad := bytes.Clone(ct)
				bad[pos] ^= bit
				got, err := DecryptBytes(bad, k)
				if err == nil && !bytes.Equal(got, pt) {
					t.Fatalf("bit %#x at %d/%d: other plaintext accepted: %q", bit, pos, len(ct), got)
				}
				if err != nil && !errors.Is(err, ErrDecrypt) {
					t.Fatalf("bit %#x at %d: err=%v", bit, pos, err)
				}
				if pos >= data && err == nil {
					t.Fatalf("bit %#x at %d (encrypted data starts at %d) accepted", bit, pos, data)
				}
			}
		}
		for n := range len(ct) {
			if _, err := DecryptBytes(ct[:n], k); !errors.Is(err, ErrDecrypt) {
				t.Fatalf("truncated to %d: %v", n, err)
			}
		}
	})
}

// The readers agree on every boundary size, whatever the read sizes.
func TestDecryptReadersAgree(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	r := testKey(t, ProfileRFC9580, "carol")
	for _, n := range boundarySizes {
		pt := randomBytes(t, n)
		for _, to := range [][]*PublicKey{{k.Public()}, {r.Public()}, {k.Public(), r.Public()}} {
			ct, err := EncryptBytes(pt, to...)
			if err != nil {
				t.Fatal(err)
			}
			bothReaders(t, func(t *testing.T) {
				var out bytes.Buffer
				if err := DecryptTo(&out, iotest.HalfReader(bytes.NewReader(ct)), k, r); err != nil || !bytes.Equal(out.Bytes(), pt) {
					t.Fatalf("size %d: %v", n, err)
				}
				if n < 100_000 {
					out.Reset()
					if err := DecryptTo(&out, iotest.OneByteReader(bytes.NewReader(ct)), k, r); err != nil || !bytes.Equal(out.Bytes(), pt) {
						t.Fatalf("size %d, one byte at a time: %v", n, err)
					}
				}
			})
		}
	}
}

// A message whose encrypted data packet has no MDC (tag 9) is refused.
func TestDecryptRefusesNoMDC(t *testing.T) {
	k := testKey(t, ProfileGnuPG, "alice")
	ct, _ := EncryptBytes([]byte("x"), k.Public())
	i := 2 + int(ct[1])
	if ct[i] != tagSEIPD {
		t.Fatal("no SEIPD packet after the session key packet")
	}
	bad := bytes.Clone(ct)
	bad[i] = 0xc0 | 9
	bothReaders(t, func(t *testing.T) {
		if _, err := DecryptBytes(bad, k); !errors.Is(err, ErrDecrypt) {
			t.Fatalf("no-MDC message: %v", err)
		}
	})
}
