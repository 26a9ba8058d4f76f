package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"golang.org/x/crypto/argon2"
	"golang.org/x/crypto/hkdf"
)

// HKDF labels: distinct, so the lookup id reveals nothing about the key.
const (
	labelLookupID  = "candor lookup id v1"
	labelSourceKey = "candor source key v1"
)

// sourceKeyTime is the creation time of every source key: fixed, so that
// the same codename always gives the same fingerprint.
var sourceKeyTime = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// sourceKeyUserID is the user ID of every source key; it names no one.
const sourceKeyUserID = "Candor source"

// argon2IDKey is argon2.IDKey; a variable so tests can count KDF calls.
var argon2IDKey = argon2.IDKey

// sourceKeyStream is the randomness the source key is generated from; a
// variable so tests can check that a non-deterministic generator is caught.
var sourceKeyStream = func(seed []byte) io.Reader {
	return hkdf.New(sha256.New, seed, nil, []byte(labelSourceKey))
}

// Limits on KDF parameters read from storage, so a corrupt setting cannot
// make every login allocate without bound or run for ever.
const (
	maxKDFMemoryKiB = 4 << 20 // 4 GiB
	maxKDFTime      = 64
	minPepperBytes  = 16
)

func (p KDFParams) validate() error {
	switch {
	case p.Time < 1 || p.Time > maxKDFTime:
		return errors.New("crypto: kdf time out of range")
	case p.Threads < 1:
		return errors.New("crypto: kdf threads out of range")
	case p.MemoryKiB < 8*uint32(p.Threads) || p.MemoryKiB > maxKDFMemoryKiB:
		return errors.New("crypto: kdf memory out of range")
	}
	return nil
}

// DeriveSource derives a source's identity from its codename:
//
//	seed     = Argon2id(NormalizeCodename(codename), salt = pepper, p) (32 bytes)
//	LookupID = hex(HKDF-SHA256(seed, info "candor lookup id v1", 32 bytes))
//	key      = v4 Ed25519 primary + Cv25519 encryption subkey generated from
//	           the stream HKDF-SHA256(seed, info "candor source key v1"),
//	           created 2024-01-01 UTC, user ID "Candor source"
//
// The codename is normalised and its length checked before the KDF runs
// (ErrCodenameTooLong, ErrCodename). The pepper is the instance's secret
// (at least 16 bytes), so a stolen database alone does not allow a
// dictionary attack on codenames. There is one Argon2id call per call.
//
// The key must be a function of the codename alone. DeriveSource generates
// it twice from the same stream and fails (instead of returning a key) if
// the two differ or the stream was not consumed: this catches a go-crypto
// that stopped drawing its key material from the supplied randomness.
func DeriveSource(codename string, pepper []byte, p KDFParams) (*SourceIdentity, error) {
	norm, err := NormalizeCodename(codename)
	if err != nil {
		return nil, err
	}
	if len(pepper) < minPepperBytes {
		return nil, errors.New("crypto: pepper too short")
	}
	if err := p.validate(); err != nil {
		return nil, err
	}
	seed := argon2IDKey([]byte(norm), pepper, p.Time, p.MemoryKiB, p.Threads, 32)
	defer clear(seed)

	lookup := make([]byte, 32)
	if _, err := io.ReadFull(hkdf.New(sha256.New, seed, nil, []byte(labelLookupID)), lookup); err != nil {
		return nil, errorf("unable to derive lookup id: %w", err)
	}

	e1, n1, err := deriveSourceEntity(seed)
	if err != nil {
		return nil, err
	}
	e2, n2, err := deriveSourceEntity(seed)
	if err != nil {
		return nil, err
	}
	var b1, b2 bytes.Buffer
	if err := e1.SerializePrivateWithoutSigning(&b1, nil); err != nil {
		return nil, errorf("unable to serialize source key: %w", err)
	}
	if err := e2.SerializePrivateWithoutSigning(&b2, nil); err != nil {
		return nil, errorf("unable to serialize source key: %w", err)
	}
	same := bytes.Equal(b1.Bytes(), b2.Bytes())
	clear(b1.Bytes())
	clear(b2.Bytes())
	if !same || n1 < 64 || n1 != n2 {
		return nil, errors.New("crypto: source key derivation is not deterministic; refusing to use a random key")
	}
	key, err := newPrivateKey(e1)
	if err != nil {
		return nil, err
	}
	return &SourceIdentity{LookupID: hex.EncodeToString(lookup), key: key}, nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}

// deriveSourceEntity generates the source key from seed. It returns the
// number of bytes go-crypto drew from the derived stream.
func deriveSourceEntity(seed []byte) (*openpgp.Entity, int, error) {
	r := &countingReader{r: sourceKeyStream(seed)}
	cfg := &packet.Config{
		Rand:                                  r,
		Time:                                  func() time.Time { return sourceKeyTime },
		Algorithm:                             packet.PubKeyAlgoEdDSA,
		Curve:                                 packet.Curve25519,
		DefaultHash:                           stdcrypto.SHA256,
		DefaultCipher:                         packet.CipherAES256,
		DefaultCompressionAlgo:                packet.CompressionNone,
		NonDeterministicSignaturesViaNotation: packet.BoolPointer(false),
	}
	e, err := openpgp.NewEntity(sourceKeyUserID, "", "", cfg)
	if err != nil {
		return nil, 0, errorf("unable to derive source key: %w", err)
	}
	if err := restrictPreferences(e, cfg); err != nil {
		return nil, 0, err
	}
	return e, r.n, nil
}

// PublicKey is the source's public key: stored by the server, used to
// encrypt replies to the source.
func (s *SourceIdentity) PublicKey() *PublicKey { return s.key.Public() }

// PrivateKey is the source's private key: held in memory for the session
// only, to decrypt replies. Never store it.
func (s *SourceIdentity) PrivateKey() *PrivateKey { return s.key }

// String prints the lookup id and fingerprint only.
func (s *SourceIdentity) String() string {
	return "source " + s.LookupID + " key " + s.key.Fingerprint()
}
