package main

// An instance is a data directory:
//
//	DIR/candor.db (+ -wal, -shm)  the store's database
//	DIR/blobs/                    one ciphertext file per item
//	DIR/secrets/pepper            32 random bytes mixed into every codename KDF (0600)
//	DIR/secrets/signing.key       the bundle-signing key (0600)
//	DIR/tor/                      tor's state and the onion keys (created by serve)
//
// Secret files are created with O_EXCL and mode 0600 in a 0700 directory;
// opening an instance refuses secret files that others can read.

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/store"
)

// Paths inside an instance's data directory.
const (
	dbFile         = "candor.db"
	blobsDir       = "blobs"
	secretsDir     = "secrets"
	pepperFile     = "secrets/pepper"
	signingKeyFile = "secrets/signing.key"
	kdfSetting     = "kdf_params"
	pepperSize     = 32
)

// instance is an opened data directory.
type instance struct {
	dir     string
	store   *store.Store
	pepper  []byte
	kdf     crypto.KDFParams
	signing *crypto.SigningKey
}

// hintNoInstance is the hint for a directory that is not an instance.
func hintNoInstance(dir string) string {
	return fmt.Sprintf("create an instance first with \"candor init --data %s --submission-key FILE\"", dir)
}

// checkInstance returns an error with a hint when dir is not an instance.
func checkInstance(dir string) error {
	if dir == "" {
		return withHint(errors.New("--data is required"), "give the instance data directory: --data DIR")
	}
	for _, name := range []string{dbFile, signingKeyFile, pepperFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return withHint(fmt.Errorf("%s is not a Candor instance (no %s)", dir, name), hintNoInstance(dir))
			}
			return err
		}
	}
	return nil
}

// readSecret reads a secret file, refusing one that others can read.
func readSecret(dir, name string) ([]byte, error) {
	p := filepath.Join(dir, name)
	f, err := os.Open(p)
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", name, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", name, err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, withHint(fmt.Errorf("%s is readable by other users (mode %v)", p, fi.Mode().Perm()),
			fmt.Sprintf("restrict it with \"chmod 600 %s\"", p))
	}
	// Secret files are tiny; the limit keeps a wrong path from reading a
	// huge file into memory.
	b, err := io.ReadAll(io.LimitReader(f, 1<<16))
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", name, err)
	}
	return b, nil
}

// loadSigningKey reads DIR/secrets/signing.key.
func loadSigningKey(dir string) (*crypto.SigningKey, error) {
	b, err := readSecret(dir, signingKeyFile)
	if err != nil {
		return nil, err
	}
	k, err := crypto.ParseSigningKey(b)
	if err != nil {
		return nil, fmt.Errorf("unable to read %s: %w", signingKeyFile, err)
	}
	return k, nil
}

// openInstance opens an existing instance. It never creates one: a wrong
// --data path gives an error, not a fresh empty database.
func openInstance(dir string) (*instance, error) {
	if err := checkInstance(dir); err != nil {
		return nil, err
	}
	pepper, err := readSecret(dir, pepperFile)
	if err != nil {
		return nil, err
	}
	if len(pepper) != pepperSize {
		return nil, fmt.Errorf("%s is %d bytes, expected %d", pepperFile, len(pepper), pepperSize)
	}
	signing, err := loadSigningKey(dir)
	if err != nil {
		return nil, err
	}
	st, err := store.Open(dir, store.Options{})
	if err != nil {
		return nil, err
	}
	kdf, err := loadKDFParams(context.Background(), st)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &instance{dir: dir, store: st, pepper: pepper, kdf: kdf, signing: signing}, nil
}

func loadKDFParams(ctx context.Context, st *store.Store) (crypto.KDFParams, error) {
	var p crypto.KDFParams
	b, err := st.Setting(ctx, kdfSetting)
	if err != nil {
		return p, fmt.Errorf("unable to read the KDF parameters: %w", err)
	}
	if err := json.Unmarshal(b, &p); err != nil {
		return p, fmt.Errorf("unable to read the KDF parameters: %w", err)
	}
	if p.Time < 1 || p.Threads < 1 || p.MemoryKiB < 8*uint32(p.Threads) {
		return p, fmt.Errorf("stored KDF parameters are invalid: %+v", p)
	}
	return p, nil
}

// submissionKeys returns the active submission keys, parsed. An instance
// with none cannot accept submissions: that is an error.
func (in *instance) submissionKeys(ctx context.Context) ([]*crypto.PublicKey, error) {
	list, err := in.store.SubmissionKeys(ctx, true)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, errors.New("no active submission key")
	}
	keys := make([]*crypto.PublicKey, 0, len(list))
	for _, k := range list {
		pk, err := crypto.ParsePublicKey(k.PublicKey)
		if err != nil {
			return nil, fmt.Errorf("unable to parse submission key %s: %w", k.Fingerprint, err)
		}
		keys = append(keys, pk)
	}
	return keys, nil
}

func (in *instance) Close() error {
	if in == nil || in.store == nil {
		return nil
	}
	return in.store.Close()
}

// createInstance makes a new instance in dir with the given submission
// keys. It refuses a directory that already holds (part of) an instance.
// On any failure it removes everything it created, so there is never a
// partial instance.
func createInstance(dir string, keys []*crypto.PublicKey) (err error) {
	if len(keys) == 0 {
		return errors.New("at least one submission key is needed")
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if seen[k.Fingerprint()] {
			return fmt.Errorf("submission key %s given twice", k.Fingerprint())
		}
		seen[k.Fingerprint()] = true
	}

	// Find the topmost directory we are about to create, to remove it
	// on failure.
	created := ""
	for p := filepath.Clean(dir); ; p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		} else if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		created = p
		if filepath.Dir(p) == p {
			break
		}
	}
	for _, name := range []string{dbFile, dbFile + "-wal", dbFile + "-shm", secretsDir, blobsDir} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			return withHint(fmt.Errorf("%s already holds a Candor instance (%s exists); refusing to overwrite it", dir, name),
				"choose another --data directory; to start over, move the old one away first")
		}
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("unable to create %s: %w", dir, err)
	}
	// Mkdir of secrets is the step that claims the directory: a
	// concurrent init fails here.
	if err := os.Mkdir(filepath.Join(dir, secretsDir), 0o700); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return withHint(fmt.Errorf("%s already holds a Candor instance; refusing to overwrite it", dir),
				"choose another --data directory")
		}
		return fmt.Errorf("unable to create the secrets directory: %w", err)
	}
	var st *store.Store
	defer func() {
		if err == nil {
			return
		}
		if st != nil {
			st.Close()
		}
		if created != "" {
			os.RemoveAll(created)
			return
		}
		for _, name := range []string{secretsDir, blobsDir, dbFile, dbFile + "-wal", dbFile + "-shm"} {
			os.RemoveAll(filepath.Join(dir, name))
		}
	}()

	if err := initStep("secrets"); err != nil {
		return err
	}
	pepper := make([]byte, pepperSize)
	if _, err := rand.Read(pepper); err != nil {
		return fmt.Errorf("unable to generate the pepper: %w", err)
	}
	if err := writeSecret(filepath.Join(dir, pepperFile), pepper); err != nil {
		return err
	}
	signing, err := crypto.GenerateSigningKey()
	if err != nil {
		return err
	}
	if err := writeSecret(filepath.Join(dir, signingKeyFile), signing.Marshal()); err != nil {
		return err
	}
	if err := syncDir(filepath.Join(dir, secretsDir)); err != nil {
		return err
	}
	if err := initStep("store"); err != nil {
		return err
	}

	st, err = store.Open(dir, store.Options{})
	if err != nil {
		return err
	}
	ctx := context.Background()
	kdf, err := json.Marshal(crypto.DefaultKDFParams)
	if err != nil {
		return err
	}
	if err := st.SetSetting(ctx, kdfSetting, kdf); err != nil {
		return err
	}
	if err := st.SaveSettings(ctx, store.DefaultSettings); err != nil {
		return err
	}
	if err := initStep("settings"); err != nil {
		return err
	}
	for _, k := range keys {
		if err := st.AddSubmissionKey(ctx, k.Fingerprint(), k.Bytes()); err != nil {
			return fmt.Errorf("unable to add submission key %s: %w", k.Fingerprint(), err)
		}
	}
	if err := initStep("keys"); err != nil {
		return err
	}
	if err := st.Close(); err != nil {
		st = nil
		return err
	}
	st = nil
	return syncDir(dir)
}

// initStep is a test hook: tests make it fail at a named step of
// createInstance to check that nothing is left behind.
var initStep = func(step string) error { return nil }

// writeSecret creates path with O_EXCL and mode 0600, writes b and fsyncs.
// It removes the file if anything fails.
func writeSecret(path string, b []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("unable to create %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return fmt.Errorf("unable to write %s: %w", path, err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("unable to sync %s: %w", dir, err)
	}
	return nil
}
