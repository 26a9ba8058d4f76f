package store

import (
	"context"
	"errors"
	"io"
)

// Errors. Not-found is a sentinel, never (nil, nil).
var (
	ErrNotFound = errors.New("store: not found")
	ErrExists   = errors.New("store: already exists")
	// ErrDiskFull: free space in the data directory is under the configured
	// minimum, or the disk filled while writing. Nothing was stored.
	ErrDiskFull = errors.New("store: not enough free disk space")
)

// ItemKind is the kind of a stored item.
type ItemKind string

const (
	KindMessage ItemKind = "message" // a report: one OpenPGP message to the submission keys
	KindFile    ItemKind = "file"    // an attachment: one OpenPGP message, file name inside
	KindReply   ItemKind = "reply"   // a reply: OpenPGP message to the source key and submission keys
)

// Case statuses, as shown to the reporter.
const (
	StatusReceived    = "received"
	StatusInReview    = "in review"
	StatusReferred    = "referred for investigation"
	StatusActionTaken = "closed — action taken"
	StatusNoCase      = "closed — no case to answer"
)

// Statuses lists the valid status words in display order.
var Statuses = []string{StatusReceived, StatusInReview, StatusReferred, StatusActionTaken, StatusNoCase}

// Source is a reporter as the server knows them.
type Source struct {
	ID            string // random public id (32 hex chars), used in URLs, the API and bundles
	LookupID      string // derived from the codename by crypto.DeriveSource
	PublicKey     []byte // the source's OpenPGP public key (binary or armored, as given)
	Designation   string // "adjective noun", unique
	CreatedDay    string
	LastActiveDay string
	Starred       bool
	Status        string
	StatusNote    []byte // OpenPGP ciphertext to the source key, or nil
	StatusDay     string
	ItemCount     int // filled by Sources and Source
	NewCount      int // items not yet exported
}

// Item is one stored ciphertext.
type Item struct {
	ID           string // random public id (32 hex chars)
	SourceID     string
	Kind         ItemKind
	Size         int64
	SHA256       string // hex digest of the ciphertext blob, computed while writing
	Day          string
	Fingerprints []string // submission/source key fingerprints it was encrypted to
	Exported     bool
}

// NewItem describes an item to add.
type NewItem struct {
	ID           string // optional; empty means generate. An ID already present gives ErrExists (idempotent reply bundles).
	SourceID     string
	Kind         ItemKind
	Fingerprints []string
	// Pending stores the item durably but leaves it out of every listing
	// (Items, UnexportedItems, a source's counts) until CommitItems; Open
	// deletes pending items left by a crash. Item, OpenItem and DeleteItem
	// still find it by id.
	Pending bool
}

// SubmissionKey is a public submission key known to the server.
type SubmissionKey struct {
	Fingerprint string
	PublicKey   []byte
	Active      bool
	AddedDay    string
}

// Options for Open.
type Options struct {
	// MinFreeBytes: AddItem refuses with ErrDiskFull when the data
	// directory's file system has less free space than this. 0 means 64 MiB.
	MinFreeBytes int64
}

// API check: the methods every consumer relies on (implemented in the files of this package).
var (
	_ func(string, Options) (*Store, error)                                        = Open
	_ func(*Store) error                                                           = (*Store).Close
	_ func(*Store, context.Context, string) ([]byte, error)                        = (*Store).Setting
	_ func(*Store, context.Context, string, []byte) error                          = (*Store).SetSetting
	_ func(*Store, context.Context, string, []byte) error                          = (*Store).AddSubmissionKey
	_ func(*Store, context.Context, bool) ([]SubmissionKey, error)                 = (*Store).SubmissionKeys
	_ func(*Store, context.Context, string) error                                  = (*Store).RetireSubmissionKey
	_ func(*Store, context.Context, string, []byte, string) (*Source, error)       = (*Store).CreateSource
	_ func(*Store, context.Context, string) (*Source, error)                       = (*Store).SourceByLookupID
	_ func(*Store, context.Context, string) (*Source, error)                       = (*Store).Source
	_ func(*Store, context.Context, string) (*Source, error)                       = (*Store).SourceByDesignation
	_ func(*Store, context.Context) ([]Source, error)                              = (*Store).Sources
	_ func(*Store, context.Context, string) error                                  = (*Store).TouchSource
	_ func(*Store, context.Context, string, bool) error                            = (*Store).SetStarred
	_ func(*Store, context.Context, string, string, []byte) error                  = (*Store).SetStatus
	_ func(*Store, context.Context, string) error                                  = (*Store).DeleteSource
	_ func(*Store, context.Context, string) ([]string, error)                      = (*Store).SourcesInactiveSince
	_ func(*Store, context.Context, NewItem, func(io.Writer) error) (*Item, error) = (*Store).AddItem
	_ func(*Store, context.Context, string) (*Item, error)                         = (*Store).Item
	_ func(*Store, context.Context, string) (io.ReadCloser, *Item, error)          = (*Store).OpenItem
	_ func(*Store, context.Context, string) ([]Item, error)                        = (*Store).Items
	_ func(*Store, context.Context) ([]Item, error)                                = (*Store).UnexportedItems
	_ func(*Store, context.Context, []string) error                                = (*Store).MarkExported
	_ func(*Store, context.Context, string) error                                  = (*Store).DeleteItem
	_ func(*Store, context.Context, string) error                                  = (*Store).DeleteSourceItems
)

// Settings are the instance settings an admin can change. Stored as JSON
// under the "instance_settings" key; missing fields take DefaultSettings.
type Settings struct {
	OrganisationName     string `json:"organisation_name"`
	UploadsAllowed       bool   `json:"uploads_allowed"`
	MaxUploadBytes       int64  `json:"max_upload_bytes"` // per request
	MinFirstMessageChars int    `json:"min_first_message_chars"`
	OnlineRepliesAllowed bool   `json:"online_replies_allowed"`
	RetentionDays        int    `json:"retention_days"` // 0 = never delete
}

// DefaultSettings for a new instance.
var DefaultSettings = Settings{
	OrganisationName:     "Anti-Corruption Unit",
	UploadsAllowed:       true,
	MaxUploadBytes:       500 << 20,
	MinFirstMessageChars: 0,
	OnlineRepliesAllowed: true,
	RetentionDays:        365,
}

var (
	_ func(*Store, context.Context) (Settings, error) = (*Store).Settings
	_ func(*Store, context.Context, Settings) error   = (*Store).SaveSettings
)
