package crypto

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"strings"
)

// Text forms of the signing keys.
const (
	verifyKeyPrefix  = "candor-ed25519:"
	signingKeyPrefix = "candor-ed25519-secret:"
)

// GenerateSigningKey returns a new Ed25519 signing key from crypto/rand.
func GenerateSigningKey() (*SigningKey, error) {
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, errorf("unable to generate signing key: %w", err)
	}
	return &SigningKey{seed: seed}, nil
}

// ParseSigningKey reads the form written by Marshal:
// "candor-ed25519-secret:" + standard base64 of the 32-byte seed, with
// optional surrounding whitespace.
func ParseSigningKey(b []byte) (*SigningKey, error) {
	s := string(bytes.TrimSpace(b))
	rest, ok := strings.CutPrefix(s, signingKeyPrefix)
	if !ok {
		return nil, errors.New("crypto: not a candor signing key")
	}
	seed, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, errors.New("crypto: malformed candor signing key")
	}
	return &SigningKey{seed: seed}, nil
}

// Marshal returns the secret text form, "candor-ed25519-secret:<base64>\n".
// Store it in a file created with O_EXCL and mode 0600.
func (k *SigningKey) Marshal() []byte {
	return []byte(signingKeyPrefix + base64.StdEncoding.EncodeToString(k.seed) + "\n")
}

// Sign returns the Ed25519 signature of msg.
func (k *SigningKey) Sign(msg []byte) []byte {
	return ed25519.Sign(ed25519.NewKeyFromSeed(k.seed), msg)
}

// Public returns the verification key.
func (k *SigningKey) Public() VerifyKey {
	pub := ed25519.NewKeyFromSeed(k.seed).Public().(ed25519.PublicKey)
	return VerifyKey{pub: []byte(pub)}
}

// String prints only the public half.
func (k *SigningKey) String() string { return k.Public().String() }

// GoString keeps %#v from printing the seed.
func (k *SigningKey) GoString() string { return k.String() }

// ParseVerifyKey reads "candor-ed25519:" + standard base64 of a 32-byte
// Ed25519 public key, with optional surrounding whitespace.
func ParseVerifyKey(s string) (VerifyKey, error) {
	rest, ok := strings.CutPrefix(strings.TrimSpace(s), verifyKeyPrefix)
	if !ok {
		return VerifyKey{}, errors.New("crypto: not a candor verification key (expected candor-ed25519:...)")
	}
	pub, err := base64.StdEncoding.Strict().DecodeString(rest)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return VerifyKey{}, errors.New("crypto: malformed candor verification key")
	}
	return VerifyKey{pub: pub}, nil
}

// Verify returns nil if sig is a valid signature of msg by k, and
// ErrSignature otherwise (including for the zero VerifyKey).
func (k VerifyKey) Verify(msg, sig []byte) error {
	if len(k.pub) != ed25519.PublicKeySize || len(sig) != ed25519.SignatureSize {
		return ErrSignature
	}
	if !ed25519.Verify(ed25519.PublicKey(k.pub), msg, sig) {
		return ErrSignature
	}
	return nil
}

// String is the text form "candor-ed25519:<base64>".
func (k VerifyKey) String() string {
	return verifyKeyPrefix + base64.StdEncoding.EncodeToString(k.pub)
}

// Fingerprint is the hex of the first 16 bytes of SHA-256 of the key, for
// people to compare out of band.
func (k VerifyKey) Fingerprint() string {
	sum := sha256.Sum256(k.pub)
	return hex.EncodeToString(sum[:16])
}

// Equal reports whether k and o are the same key.
func (k VerifyKey) Equal(o VerifyKey) bool {
	return len(k.pub) == len(o.pub) && subtle.ConstantTimeCompare(k.pub, o.pub) == 1
}

// IsZero reports whether k is the zero VerifyKey.
func (k VerifyKey) IsZero() bool { return len(k.pub) == 0 }
