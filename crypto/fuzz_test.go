package crypto

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
)

// protectCheap returns k protected with pass and the cheapest S2K allowed,
// so the fuzzer spends its time parsing rather than hashing.
func protectCheap(tb testing.TB, k *PrivateKey, pass string) []byte {
	var clear bytes.Buffer
	if err := k.k.e.SerializePrivateWithoutSigning(&clear, nil); err != nil {
		tb.Fatal(err)
	}
	el, err := readKeyRing(clear.Bytes())
	if err != nil {
		tb.Fatal(err)
	}
	cfg := &packet.Config{DefaultCipher: packet.CipherAES256, S2KConfig: &s2k.Config{S2KMode: s2k.IteratedSaltedS2K, S2KCount: 1024}}
	if el[0].PrimaryKey.Version == 6 {
		cfg.S2KConfig = &s2k.Config{S2KMode: s2k.Argon2S2K, Argon2Config: &s2k.Argon2Config{NumberOfPasses: 1, DegreeOfParallelism: 1, Memory: 64}}
		cfg.AEADConfig = &packet.AEADConfig{DefaultMode: packet.AEADModeOCB}
	}
	if err := el[0].EncryptPrivateKeys([]byte(pass), cfg); err != nil {
		tb.Fatal(err)
	}
	var out bytes.Buffer
	if err := el[0].SerializePrivateWithoutSigning(&out, nil); err != nil {
		tb.Fatal(err)
	}
	return out.Bytes()
}

func FuzzNormalizeCodename(f *testing.F) {
	f.Add(testCodename)
	f.Add("  ABACUS abdomen\tabdominal abide abiding ability ablaze ")
	f.Add("abacus abdomen")
	f.Add(strings.Repeat("abacus ", 40))
	f.Add("abacus\u00a0abdomen abdominal abide abiding ability ablaze")
	f.Add("drop-down t-shirt yo-yo abacus abide ablaze able")
	f.Fuzz(func(t *testing.T, s string) {
		n, err := NormalizeCodename(s)
		if len(s) > MaxCodenameBytes {
			if err != ErrCodenameTooLong {
				t.Fatalf("%d bytes: err=%v", len(s), err)
			}
			return
		}
		if err != nil {
			if err != ErrCodename {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		words := strings.Split(n, " ")
		if len(words) != CodenameWords {
			t.Fatalf("%q: %d words", n, len(words))
		}
		for _, w := range words {
			if !IsCodenameWord(w) {
				t.Fatalf("%q: %q not in the list", n, w)
			}
		}
		if len(n) > len(s) {
			t.Fatalf("normalised form longer than the input")
		}
		again, err := NormalizeCodename(n)
		if err != nil || again != n {
			t.Fatalf("not idempotent: %q → %q (%v)", n, again, err)
		}
	})
}

func fuzzKeySeeds(f *testing.F) {
	for _, p := range []Profile{ProfileGnuPG, ProfileRFC9580} {
		k := testKey(f, p, "fuzz")
		f.Add(k.Public().Bytes())
		f.Add([]byte(k.Public().Armored()))
		sec, _ := k.MarshalArmored(nil)
		f.Add(sec)
		f.Add(protectCheap(f, k, "pw"))
	}
	f.Add([]byte("-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n-----END PGP PUBLIC KEY BLOCK-----\n"))
	f.Add([]byte{0x99, 0x00, 0x01, 0x04})
}

func FuzzParsePublicKey(f *testing.F) {
	fuzzKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePublicKey(data)
		if err != nil {
			return
		}
		// Whatever was accepted can be serialised, reparsed and used.
		k2, err := ParsePublicKey(k.Bytes())
		if err != nil {
			t.Fatalf("reparse: %v", err)
		}
		if k2.Fingerprint() != k.Fingerprint() {
			t.Fatal("fingerprint changed on reparse")
		}
		_ = k.Armored()
		if _, err := EncryptBytes([]byte("x"), k); err != nil {
			t.Fatalf("accepted key cannot encrypt: %v", err)
		}
	})
}

func FuzzParsePrivateKey(f *testing.F) {
	fuzzKeySeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		k, err := ParsePrivateKey(data, []byte("pw"))
		if err != nil {
			return
		}
		_ = k.String()
		_ = k.Public().Fingerprint()
	})
}

// FuzzDecrypt feeds hostile messages to DecryptTo: it must never panic,
// and every failure must be ErrDecrypt.
func FuzzDecrypt(f *testing.F) {
	k := testKey(f, ProfileGnuPG, "fuzz")
	r := testKey(f, ProfileRFC9580, "fuzz")
	for _, n := range []int{0, 10, 1000} {
		pt := bytes.Repeat([]byte{'a'}, n)
		for _, to := range [][]*PublicKey{{k.Public()}, {r.Public()}, {k.Public(), r.Public()}} {
			ct, err := EncryptBytes(pt, to...)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(ct)
		}
	}
	fastSEIPDv1 = false
	ct, _ := EncryptBytes([]byte("stock"), k.Public())
	fastSEIPDv1 = true
	f.Add(ct)
	f.Fuzz(func(t *testing.T, msg []byte) {
		var out bytes.Buffer
		err := DecryptTo(&out, bytes.NewReader(msg), k, r)
		if err != nil && err != ErrDecrypt {
			t.Fatalf("error %v is not ErrDecrypt", err)
		}
		// Differential: go-crypto's own reader agrees.
		fastDecryptV1 = false
		var stock bytes.Buffer
		serr := DecryptTo(&stock, bytes.NewReader(msg), k, r)
		fastDecryptV1 = true
		if (err == nil) != (serr == nil) || err == nil && !bytes.Equal(out.Bytes(), stock.Bytes()) {
			t.Fatalf("readers disagree: fast %v, go-crypto %v", err, serr)
		}
	})
}
