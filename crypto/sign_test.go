package crypto

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestSigningKey(t *testing.T) {
	k, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	msg := []byte(`{"manifest":1}`)
	sig := k.Sign(msg)
	pub := k.Public()
	if err := pub.Verify(msg, sig); err != nil {
		t.Fatal(err)
	}
	bad := bytes.Clone(msg)
	bad[0] ^= 1
	if err := pub.Verify(bad, sig); !errors.Is(err, ErrSignature) {
		t.Fatalf("changed message: %v", err)
	}
	badSig := bytes.Clone(sig)
	badSig[10] ^= 1
	for _, s := range [][]byte{badSig, nil, sig[:10], append(bytes.Clone(sig), 0)} {
		if err := pub.Verify(msg, s); !errors.Is(err, ErrSignature) {
			t.Fatalf("bad signature %x: %v", s, err)
		}
	}
	other, _ := GenerateSigningKey()
	if err := other.Public().Verify(msg, sig); !errors.Is(err, ErrSignature) {
		t.Fatal("other key verifies")
	}
	if err := (VerifyKey{}).Verify(msg, sig); !errors.Is(err, ErrSignature) {
		t.Fatal("zero key verifies")
	}
	if pub.Equal(other.Public()) || !pub.Equal(k.Public()) {
		t.Fatal("Equal")
	}

	// Marshal / Parse round trip.
	text := k.Marshal()
	if !bytes.HasPrefix(text, []byte("candor-ed25519-secret:")) || !bytes.HasSuffix(text, []byte("\n")) {
		t.Fatalf("%q", text)
	}
	k2, err := ParseSigningKey(text)
	if err != nil {
		t.Fatal(err)
	}
	if !k2.Public().Equal(pub) {
		t.Fatal("round trip changed the key")
	}
	// The public text form round trips and is what people paste.
	s := pub.String()
	if !strings.HasPrefix(s, "candor-ed25519:") {
		t.Fatal(s)
	}
	p2, err := ParseVerifyKey("  " + s + "\n")
	if err != nil || !p2.Equal(pub) {
		t.Fatalf("%v", err)
	}
	if len(pub.Fingerprint()) != 32 || pub.Fingerprint() == other.Public().Fingerprint() {
		t.Fatal(pub.Fingerprint())
	}
	// Printing the signing key shows only the public half.
	secret := strings.TrimSpace(strings.TrimPrefix(string(text), "candor-ed25519-secret:"))
	for _, out := range []string{fmt.Sprint(k), fmt.Sprintf("%v %+v %s %#v", k, k, k, k)} {
		if strings.Contains(out, secret) {
			t.Fatalf("%q prints the secret", out)
		}
		if !strings.Contains(out, s) {
			t.Fatalf("%q does not show the public key", out)
		}
	}
}

func TestParseSigningKeyRejects(t *testing.T) {
	k, _ := GenerateSigningKey()
	pub := k.Public().String()
	for _, in := range []string{"", "candor-ed25519-secret:", "candor-ed25519-secret:AAAA", pub, "candor-ed25519-secret:" + strings.Repeat("A", 44) + "=="} {
		if _, err := ParseSigningKey([]byte(in)); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	for _, in := range []string{"", "candor-ed25519:", "candor-ed25519:AAAA", string(k.Marshal()), "ed25519:" + strings.TrimPrefix(pub, "candor-ed25519:"), pub + "x"} {
		if _, err := ParseVerifyKey(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func ExampleVerifyKey() {
	// A fixed seed (never use it): Ed25519 signatures are deterministic.
	k, _ := ParseSigningKey([]byte("candor-ed25519-secret:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n"))
	pub := k.Public()
	fmt.Println(pub)
	fmt.Println(pub.Fingerprint())
	sig := k.Sign([]byte("manifest"))
	fmt.Println(pub.Verify([]byte("manifest"), sig))
	fmt.Println(pub.Verify([]byte("manifest!"), sig))
	// Output:
	// candor-ed25519:A6EHv/POEL4dcN0Y50vAmWfk1jCbpQ1fHdyGZBJVMbg=
	// 56475aa75463474c0285df5dbf2bcab7
	// <nil>
	// crypto: signature does not verify
}
