package workspace

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/candor-drop/candor/crypto"
)

// recipientsDir holds further submission public keys that replies and
// status notes are also encrypted to: the unit's other active submission
// keys (rotation, a second unit). They are pinned by hand, on the
// air-gapped machine, never taken from a bundle: a compromised server
// could otherwise slip in a key of its own and read every offline reply.
const recipientsDir = "recipients"

// Errors of the recipient list.
var (
	ErrRecipientExists = errors.New("workspace: that key is already a recipient")
	ErrOwnKey          = errors.New("workspace: that is this home's own submission key, which every reply is already encrypted to")
)

func (h *Home) recipientPath(fpr string) string {
	return h.path(recipientsDir, fpr+".asc")
}

// AddRecipient pins a further submission public key (armored or binary).
func (h *Home) AddRecipient(data []byte) (*crypto.PublicKey, error) {
	k, err := crypto.ParsePublicKey(data)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read the key: %w", err)
	}
	own, err := h.PublicKey()
	if err != nil {
		return nil, err
	}
	if k.Fingerprint() == own.Fingerprint() {
		return nil, ErrOwnKey
	}
	if err := os.MkdirAll(h.path(recipientsDir), dirMode); err != nil {
		return nil, fmt.Errorf("workspace: unable to create %s: %w", recipientsDir, err)
	}
	err = writeNewFile(h.recipientPath(k.Fingerprint()), func(w io.Writer) error {
		_, err := io.WriteString(w, k.Armored())
		return err
	})
	if errors.Is(err, os.ErrExist) {
		return nil, ErrRecipientExists
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to save the key: %w", err)
	}
	return k, nil
}

// Recipients returns the pinned further recipients, sorted by fingerprint.
func (h *Home) Recipients() ([]*crypto.PublicKey, error) {
	entries, err := os.ReadDir(h.path(recipientsDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to list recipients: %w", err)
	}
	var keys []*crypto.PublicKey
	for _, e := range entries {
		name := e.Name()
		if !e.Type().IsRegular() || !strings.HasSuffix(name, ".asc") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(h.path(recipientsDir), name))
		if err != nil {
			return nil, fmt.Errorf("workspace: unable to read recipient %s: %w", name, err)
		}
		k, err := crypto.ParsePublicKey(data)
		if err != nil {
			return nil, fmt.Errorf("workspace: recipient %s is unusable: %w", name, err)
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].Fingerprint() < keys[j].Fingerprint() })
	return keys, nil
}

// RemoveRecipient unpins the recipient with fingerprint fpr.
func (h *Home) RemoveRecipient(fpr string) error {
	fpr = strings.ToUpper(strings.ReplaceAll(fpr, " ", ""))
	if fpr == "" || strings.ContainsAny(fpr, `/\.`) {
		return ErrNotFound
	}
	err := os.Remove(h.recipientPath(fpr))
	if errors.Is(err, os.ErrNotExist) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("workspace: unable to remove the recipient: %w", err)
	}
	return syncDir(h.path(recipientsDir))
}
