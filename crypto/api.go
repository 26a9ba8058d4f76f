package crypto

// This file holds the types, errors and constants the other packages use;
// the functions live in the other files of the package.

import (
	"errors"
	"io"
)

// Errors returned by this package. Callers compare with errors.Is.
var (
	// ErrDecrypt is the one error for any decryption or integrity failure.
	ErrDecrypt = errors.New("crypto: unable to decrypt message")
	// ErrNoEncryptionKey: the key has no usable encryption (sub)key.
	ErrNoEncryptionKey = errors.New("crypto: key has no usable encryption subkey")
	// ErrPassphrase: the private key is protected and the passphrase is missing or wrong.
	ErrPassphrase = errors.New("crypto: wrong or missing passphrase for private key")
	// ErrCodename: the codename is not 7 words of the wordlist (after normalisation).
	ErrCodename = errors.New("crypto: codename is not valid")
	// ErrCodenameTooLong: over MaxCodenameBytes, refused before any KDF work.
	ErrCodenameTooLong = errors.New("crypto: codename is too long")
	// ErrSignature: a manifest signature does not verify.
	ErrSignature = errors.New("crypto: signature does not verify")
)

// Profile selects the OpenPGP profile of a generated submission key.
type Profile int

const (
	// ProfileGnuPG: v4 key, Ed25519 primary + Cv25519 encryption subkey,
	// SEIPD v1 with AES-256, no compression, no SEIPD v2 advertised. Reads
	// with GnuPG 2.2 and Sequoia. The default.
	ProfileGnuPG Profile = iota
	// ProfileRFC9580: v6 key, SEIPD v2 with AES-256-GCM.
	ProfileRFC9580
)

// PublicKey is an OpenPGP public key (certificate) usable as a recipient.
// Implemented in keys.go.
type PublicKey struct {
	_ [0]func() // not comparable
	k *publicKey
}

// PrivateKey is an unlocked OpenPGP secret key. String prints only the
// fingerprint. Implemented in keys.go.
type PrivateKey struct {
	_ [0]func()
	k *privateKey
}

// Codename limits.
const (
	CodenameWords    = 7
	MaxCodenameBytes = 256 // longer input is refused before normalisation work
)

// KDFParams are the Argon2id parameters of the source KDF. They are stored
// with the instance so they can be raised later for new instances.
type KDFParams struct {
	Time      uint32 `json:"time"`
	MemoryKiB uint32 `json:"memory_kib"`
	Threads   uint8  `json:"threads"`
}

// DefaultKDFParams: t=3, m=64 MiB, p=2 (RFC 9106 second recommended option,
// with memory lowered to 64 MiB so a small server can run a few logins at once).
var DefaultKDFParams = KDFParams{Time: 3, MemoryKiB: 64 * 1024, Threads: 2}

// SourceIdentity is what a codename derives to. Only LookupID and
// PublicKey() ever reach storage. Implemented in source_identity.go.
type SourceIdentity struct {
	_        [0]func()
	LookupID string // hex, 32 bytes of HKDF output
	key      *PrivateKey
}

// SigningKey is an Ed25519 key that signs bundle manifests. Implemented in sign.go.
type SigningKey struct {
	_    [0]func()
	seed []byte
}

// VerifyKey is the public half of a SigningKey. Its text form is
// "candor-ed25519:" followed by standard base64 of the 32-byte key.
type VerifyKey struct {
	_   [0]func()
	pub []byte
}

// Compile-time check that every function of the API exists (see the files).
var (
	_ func(name string, p Profile) (*PrivateKey, error)                          = GenerateSubmissionKey
	_ func(data []byte) (*PublicKey, error)                                      = ParsePublicKey
	_ func(data, passphrase []byte) (*PrivateKey, error)                         = ParsePrivateKey
	_ func(dst io.Writer, to ...*PublicKey) (io.WriteCloser, error)              = Encrypt
	_ func(dst io.Writer, src io.Reader, keys ...*PrivateKey) error              = DecryptTo
	_ func(ciphertext []byte, keys ...*PrivateKey) ([]byte, error)               = DecryptBytes
	_ func(plaintext []byte, to ...*PublicKey) ([]byte, error)                   = EncryptBytes
	_ func() (string, error)                                                     = NewCodename
	_ func(s string) (string, error)                                             = NormalizeCodename
	_ func(codename string, pepper []byte, p KDFParams) (*SourceIdentity, error) = DeriveSource
	_ func() (*SigningKey, error)                                                = GenerateSigningKey
	_ func(b []byte) (*SigningKey, error)                                        = ParseSigningKey
	_ func(s string) (VerifyKey, error)                                          = ParseVerifyKey
	_ func() (string, error)                                                     = NewDesignation
)
