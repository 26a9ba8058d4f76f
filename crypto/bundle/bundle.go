// Package bundle reads and writes Candor's signed bundles: export bundles
// (server → air-gapped candor-review: ciphertext items, the sources' public
// keys, a manifest signed with the server's Ed25519 key) and reply bundles
// (candor-review → server: replies and status changes, already encrypted,
// signed with the reviewer app's key). docs/bundles.md is the format.
//
// Security properties:
//
//   - A reader verifies the manifest signature against a pinned key before it
//     returns anything; an unsigned or badly signed bundle yields ErrSignature
//     and no item.
//   - Every blob is checked against the size and SHA-256 in the signed
//     manifest while it streams; a mismatch, a missing, extra, reordered or
//     duplicated entry is ErrCorrupt at that point. Callers stage what they
//     read and commit only after Next returns io.EOF (all-or-nothing).
//   - Sizes and counts are capped (MaxManifestBytes, MaxEntries) so hostile
//     input cannot make a reader allocate without bound.
//   - It only handles ciphertext; it never decrypts.
package bundle

import (
	"errors"
	"io"

	"github.com/candor-drop/candor/crypto"
)

// Errors; compare with errors.Is.
var (
	ErrSignature = errors.New("bundle: signature does not verify against the pinned key")
	ErrFormat    = errors.New("bundle: not a Candor bundle of a supported version")
	ErrCorrupt   = errors.New("bundle: contents do not match the signed manifest")
)

// Limits.
const (
	MaxManifestBytes = 16 << 20
	MaxEntries       = 100_000
	MaxBlobBytes     = 64 << 30
)

// Source is a source as carried in an export bundle.
type Source struct {
	ID          string `json:"id"`
	Designation string `json:"designation"`
	PublicKey   string `json:"public_key"` // ASCII-armored OpenPGP public key
	Status      string `json:"status"`
	StatusDay   string `json:"status_day"`
}

// Item is a ciphertext item in an export bundle; its blob is "items/<ID>".
type Item struct {
	ID           string   `json:"id"`
	SourceID     string   `json:"source_id"`
	Kind         string   `json:"kind"` // message, file, reply
	Day          string   `json:"day"`
	Size         int64    `json:"size"`
	SHA256       string   `json:"sha256"`
	Fingerprints []string `json:"fingerprints"`
}

// ExportManifest is the signed manifest of an export bundle.
type ExportManifest struct {
	Format   string   `json:"format"`  // "candor-export", set by WriteExport
	Version  int      `json:"version"` // 1, set by WriteExport
	BundleID string   `json:"bundle_id"`
	Day      string   `json:"day"`
	Instance string   `json:"instance"`
	Signer   string   `json:"signer"` // VerifyKey.String(), set by WriteExport
	Sources  []Source `json:"sources"`
	Items    []Item   `json:"items"`
}

// Reply is a reply in a reply bundle; its blob is "replies/<ID>". ID is a
// random 32-hex id chosen by candor-review; the server stores the reply
// under that id, which makes applying a bundle twice a no-op.
type Reply struct {
	ID           string   `json:"id"`
	SourceID     string   `json:"source_id"`
	Size         int64    `json:"size"`
	SHA256       string   `json:"sha256"`
	Fingerprints []string `json:"fingerprints"`
}

// Note is the encrypted note of a status change; its blob is "notes/<change ID>".
type Note struct {
	Size         int64    `json:"size"`
	SHA256       string   `json:"sha256"`
	Fingerprints []string `json:"fingerprints"`
}

// StatusChange sets a source's case status.
type StatusChange struct {
	ID       string `json:"id"`
	SourceID string `json:"source_id"`
	Status   string `json:"status"`
	Note     *Note  `json:"note,omitempty"`
}

// ReplyManifest is the signed manifest of a reply bundle.
type ReplyManifest struct {
	Format   string         `json:"format"`  // "candor-reply", set by WriteReply
	Version  int            `json:"version"` // 1
	BundleID string         `json:"bundle_id"`
	Day      string         `json:"day"`
	Signer   string         `json:"signer"` // VerifyKey.String(), set by WriteReply
	Replies  []Reply        `json:"replies"`
	Statuses []StatusChange `json:"statuses"`
}

// API (implemented in export.go, reply.go):
var (
	_ func(io.Writer, *ExportManifest, *crypto.SigningKey, func(Item) (io.ReadCloser, error)) error       = WriteExport
	_ func(io.Reader, crypto.VerifyKey) (*ExportReader, error)                                            = ReadExport
	_ func(*ExportReader) (Item, io.Reader, error)                                                        = (*ExportReader).Next
	_ func(io.Writer, *ReplyManifest, *crypto.SigningKey, func(name string) (io.ReadCloser, error)) error = WriteReply
	_ func(io.Reader, func(signer string) (crypto.VerifyKey, bool)) (*ReplyReader, error)                 = ReadReply
	_ func(*ReplyReader) (string, io.Reader, error)                                                       = (*ReplyReader).Next
)
