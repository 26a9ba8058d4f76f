package workspace

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/candor-drop/candor/crypto"
)

// File names inside a home directory.
const (
	submissionKeyFile = "submission-key.asc"
	submissionPubFile = "submission-key.pub.asc"
	signingKeyFile    = "reply-signing-key.pgp"
	signingPubFile    = "reply-signing-key.pub"
	serverKeyFile     = "server-key.pub"
	workspaceDir      = "workspace"
	outboxDir         = "outbox"
)

// Errors; compare with errors.Is.
var (
	ErrHomeExists  = errors.New("workspace: the home directory already exists and is not empty")
	ErrNoHome      = errors.New("workspace: no candor-review home here")
	ErrNotTrusted  = errors.New("workspace: no server key pinned yet")
	ErrTrustChange = errors.New("workspace: a different server key is already pinned")
	ErrNotFound    = errors.New("workspace: not found")
	ErrAmbiguous   = errors.New("workspace: more than one item matches")
)

// Home is an opened candor-review home directory.
type Home struct {
	Dir string
}

// InitOptions are the inputs of Init.
type InitOptions struct {
	// Passphrase protects the submission key at rest. Required.
	Passphrase []byte
	// ImportKey, if set, is a private key exported from GnuPG (armored or
	// binary). It is tried unprotected, then with Passphrase.
	ImportKey []byte
	// Profile of a generated key.
	Profile crypto.Profile
	// Name is the user id of a generated key.
	Name string
}

// InitResult describes a new home.
type InitResult struct {
	Fingerprint string
	SigningKey  string // "candor-ed25519:…"
	Imported    bool
}

// Init creates a home directory at dir with a new (or imported) submission
// key and a new reply-signing key. It refuses an existing, non-empty dir.
// The home is assembled in a temporary sibling directory and renamed into
// place, so a failure leaves nothing behind.
func Init(dir string, o InitOptions) (*InitResult, error) {
	if len(o.Passphrase) == 0 {
		return nil, errors.New("workspace: a passphrase is required")
	}
	if ents, err := os.ReadDir(dir); err == nil && len(ents) > 0 {
		return nil, ErrHomeExists
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("workspace: unable to inspect %s: %w", dir, err)
	}
	var (
		key *crypto.PrivateKey
		err error
	)
	if o.ImportKey != nil {
		key, err = parseImportKey(o.ImportKey, o.Passphrase)
		if err != nil {
			return nil, err
		}
	} else {
		name := o.Name
		if name == "" {
			name = "Candor submission key"
		}
		key, err = crypto.GenerateSubmissionKey(name, o.Profile)
		if err != nil {
			return nil, fmt.Errorf("workspace: unable to generate the submission key: %w", err)
		}
	}
	armored, err := key.MarshalArmored(o.Passphrase)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to protect the submission key: %w", err)
	}
	sk, err := crypto.GenerateSigningKey()
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to generate the reply-signing key: %w", err)
	}
	sealed, err := crypto.EncryptBytes(sk.Marshal(), key.Public())
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to protect the reply-signing key: %w", err)
	}

	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, dirMode); err != nil {
		return nil, fmt.Errorf("workspace: unable to create %s: %w", parent, err)
	}
	tmp, err := os.MkdirTemp(parent, ".candor-review-init-")
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to create the home: %w", err)
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, dirMode); err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	files := []struct {
		name string
		data []byte
	}{
		{submissionKeyFile, armored},
		{submissionPubFile, []byte(key.Public().Armored())},
		{signingKeyFile, sealed},
		{signingPubFile, []byte(sk.Public().String() + "\n")},
	}
	for _, f := range files {
		if err := writeNewFile(filepath.Join(tmp, f.name), func(w io.Writer) error {
			_, err := w.Write(f.data)
			return err
		}); err != nil {
			return nil, fmt.Errorf("workspace: unable to write %s: %w", f.name, err)
		}
	}
	for _, d := range []string{workspaceDir, filepath.Join(workspaceDir, "items"), outboxDir} {
		if err := os.Mkdir(filepath.Join(tmp, d), dirMode); err != nil {
			return nil, fmt.Errorf("workspace: %w", err)
		}
	}
	if err := syncDir(tmp); err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	// rename(2) replaces an empty directory and fails on a non-empty one,
	// so a home that appeared meanwhile is not overwritten.
	if err := os.Rename(tmp, abs); err != nil {
		return nil, fmt.Errorf("workspace: unable to create %s: %w", dir, err)
	}
	if err := syncDir(parent); err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	return &InitResult{Fingerprint: key.Fingerprint(), SigningKey: sk.Public().String(), Imported: o.ImportKey != nil}, nil
}

// parseImportKey reads a private key exported from GnuPG (hostile input as
// far as this program is concerned): unprotected first, then with
// passphrase.
func parseImportKey(data, passphrase []byte) (*crypto.PrivateKey, error) {
	key, err := crypto.ParsePrivateKey(data, nil)
	if errors.Is(err, crypto.ErrPassphrase) {
		key, err = crypto.ParsePrivateKey(data, passphrase)
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to import the key: %w", err)
	}
	return key, nil
}

// Open opens an existing home.
func Open(dir string) (*Home, error) {
	if _, err := os.Stat(filepath.Join(dir, submissionKeyFile)); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoHome, dir)
	}
	for _, d := range []string{workspaceDir, filepath.Join(workspaceDir, "items"), outboxDir} {
		if err := os.MkdirAll(filepath.Join(dir, d), dirMode); err != nil {
			return nil, fmt.Errorf("workspace: %w", err)
		}
	}
	return &Home{Dir: dir}, nil
}

func (h *Home) path(elem ...string) string {
	return filepath.Join(append([]string{h.Dir}, elem...)...)
}

// PublicKeyArmored returns the armored public submission key.
func (h *Home) PublicKeyArmored() (string, error) {
	data, err := readFileLimit(h.path(submissionPubFile), 1<<20)
	if err != nil {
		return "", fmt.Errorf("workspace: unable to read the public key: %w", err)
	}
	return string(data), nil
}

// PublicKey returns the public submission key.
func (h *Home) PublicKey() (*crypto.PublicKey, error) {
	a, err := h.PublicKeyArmored()
	if err != nil {
		return nil, err
	}
	k, err := crypto.ParsePublicKey([]byte(a))
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read the public key: %w", err)
	}
	return k, nil
}

// Unlock decrypts the submission private key with passphrase.
// A wrong passphrase gives an error wrapping crypto.ErrPassphrase.
func (h *Home) Unlock(passphrase []byte) (*crypto.PrivateKey, error) {
	data, err := readFileLimit(h.path(submissionKeyFile), 1<<20)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read the private key: %w", err)
	}
	k, err := crypto.ParsePrivateKey(data, passphrase)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to unlock the private key: %w", err)
	}
	return k, nil
}

// SigningKey decrypts the app's reply-signing key with the unlocked
// submission key.
func (h *Home) SigningKey(priv *crypto.PrivateKey) (*crypto.SigningKey, error) {
	data, err := readFileLimit(h.path(signingKeyFile), 1<<20)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read the reply-signing key: %w", err)
	}
	raw, err := crypto.DecryptBytes(data, priv)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to decrypt the reply-signing key: %w", err)
	}
	sk, err := crypto.ParseSigningKey(raw)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read the reply-signing key: %w", err)
	}
	return sk, nil
}

// SigningPublic returns the app's reply-signing public key as text.
func (h *Home) SigningPublic() (string, error) {
	data, err := readFileLimit(h.path(signingPubFile), 4096)
	if err != nil {
		return "", fmt.Errorf("workspace: unable to read the reply-signing public key: %w", err)
	}
	return strings.TrimSpace(string(data)), nil
}

// Trust pins the server's bundle-signing key, given as the text `candor
// server-key` prints. Pinning the same key again is a no-op; a different key
// is refused unless replace is set.
func (h *Home) Trust(text string, replace bool) (crypto.VerifyKey, error) {
	k, err := crypto.ParseVerifyKey(strings.TrimSpace(text))
	if err != nil {
		return crypto.VerifyKey{}, fmt.Errorf("workspace: unable to read the server key: %w", err)
	}
	if old, err := h.Trusted(); err == nil {
		if old.Equal(k) {
			return k, nil
		}
		if !replace {
			return crypto.VerifyKey{}, ErrTrustChange
		}
	}
	if err := writeFileAtomic(h.path(serverKeyFile), []byte(k.String()+"\n")); err != nil {
		return crypto.VerifyKey{}, fmt.Errorf("workspace: unable to pin the server key: %w", err)
	}
	return k, nil
}

// Trusted returns the pinned server key, or ErrNotTrusted.
func (h *Home) Trusted() (crypto.VerifyKey, error) {
	data, err := readFileLimit(h.path(serverKeyFile), 4096)
	if errors.Is(err, os.ErrNotExist) {
		return crypto.VerifyKey{}, ErrNotTrusted
	}
	if err != nil {
		return crypto.VerifyKey{}, fmt.Errorf("workspace: unable to read the pinned server key: %w", err)
	}
	k, err := crypto.ParseVerifyKey(strings.TrimSpace(string(data)))
	if err != nil {
		return crypto.VerifyKey{}, fmt.Errorf("workspace: the pinned server key is damaged: %w", err)
	}
	return k, nil
}
