package tor

import (
	"crypto/ecdh"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base32"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/cretz/bine/torutil"
	bed25519 "github.com/cretz/bine/torutil/ed25519"
)

const keyPEMType = "PRIVATE KEY"

// LoadOrCreateServiceKey reads the onion service key stored at path, or, if
// the file does not exist, creates a new key and stores it there (PKCS #8
// PEM, mode 0600, created with O_EXCL so an existing key is never
// overwritten). It returns the key and the service's onion id (the 56
// characters before ".onion").
func LoadOrCreateServiceKey(path string) (ed25519.PrivateKey, string, error) {
	key, err := loadServiceKey(path)
	if errors.Is(err, fs.ErrNotExist) {
		key, err = createServiceKey(path)
		if errors.Is(err, fs.ErrExist) { // created concurrently
			key, err = loadServiceKey(path)
		}
	}
	if err != nil {
		return nil, "", err
	}
	return key, OnionID(key), nil
}

// LoadServiceKey reads an onion service key written by
// LoadOrCreateServiceKey; it never creates one (the error wraps
// fs.ErrNotExist when the file is missing).
func LoadServiceKey(path string) (ed25519.PrivateKey, string, error) {
	key, err := loadServiceKey(path)
	if err != nil {
		return nil, "", err
	}
	return key, OnionID(key), nil
}

func loadServiceKey(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("tor: unable to read onion key: %w", err)
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != keyPEMType {
		return nil, fmt.Errorf("tor: onion key file %s is not a PEM %q block", path, keyPEMType)
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("tor: unable to parse onion key %s: %w", path, err)
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("tor: onion key %s is a %T, not an Ed25519 key", path, k)
	}
	return key, nil
}

func createServiceKey(path string) (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("tor: unable to generate onion key: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("tor: unable to encode onion key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("tor: unable to create onion key directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("tor: unable to create onion key: %w", err)
	}
	err = pem.Encode(f, &pem.Block{Type: keyPEMType, Bytes: der})
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("tor: unable to write onion key: %w", err)
	}
	return key, nil
}

// OnionID is the v3 onion id (56 lower-case base32 characters, without
// ".onion") of the service with the given key.
func OnionID(key ed25519.PrivateKey) string {
	return torutil.OnionServiceIDFromPrivateKey(bed25519.FromCryptoPrivateKey(key))
}

// torKeyBlob is the key as ADD_ONION takes it: base64 of tor's expanded
// 64-byte Ed25519 secret key.
func torKeyBlob(key ed25519.PrivateKey) string {
	return base64.StdEncoding.EncodeToString(bed25519.FromCryptoPrivateKey(key).PrivateKey())
}

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// GenerateClientAuthKey makes an x25519 key pair for v3 onion client
// authorization. Both halves are base32 without padding (52 characters), the
// form tor uses: the public half goes to the service (ClientAuthV3), the
// private half to the client (see ClientAuthLine).
func GenerateClientAuthKey() (public, private string, err error) {
	k, err := ecdh.X25519().GenerateKey(rand.Reader)
	if err != nil {
		return "", "", fmt.Errorf("tor: unable to generate client authorization key: %w", err)
	}
	return b32.EncodeToString(k.PublicKey().Bytes()), b32.EncodeToString(k.Bytes()), nil
}

// ClientAuthPublicKey returns the public half of a private client
// authorization key in the form GenerateClientAuthKey returns it.
func ClientAuthPublicKey(private string) (string, error) {
	raw, err := b32.DecodeString(strings.ToUpper(strings.TrimSpace(private)))
	if err != nil || len(raw) != 32 {
		return "", errors.New("tor: client authorization key is not 52 base32 characters")
	}
	k, err := ecdh.X25519().NewPrivateKey(raw)
	if err != nil {
		return "", fmt.Errorf("tor: bad client authorization key: %w", err)
	}
	return b32.EncodeToString(k.PublicKey().Bytes()), nil
}

// ClientAuthLine is the content of the file "<onionID>.auth_private" a
// client puts in its ClientOnionAuthDir (Tor Browser: the key it asks for
// is the private key alone).
func ClientAuthLine(onionID, private string) string {
	return onionID + ":descriptor:x25519:" + strings.ToUpper(private) + "\n"
}

// normaliseClientAuthKey checks a public client authorization key and
// returns it upper-case, or an error.
func normaliseClientAuthKey(k string) (string, error) {
	k = strings.ToUpper(strings.TrimSpace(k))
	raw, err := b32.DecodeString(k)
	if err != nil || len(raw) != 32 {
		return "", errors.New("not 52 base32 characters")
	}
	return k, nil
}
