package bundle

// STUBS: the lead replaces this file.

import (
	"io"

	"github.com/candor-drop/candor/crypto"
)

// ExportReader reads a verified export bundle. Manifest is valid once
// ReadExport returned without error.
type ExportReader struct{ Manifest *ExportManifest }

// ReplyReader reads a verified reply bundle.
type ReplyReader struct{ Manifest *ReplyManifest }

func WriteExport(w io.Writer, m *ExportManifest, key *crypto.SigningKey, open func(Item) (io.ReadCloser, error)) error {
	panic("unimplemented")
}
func ReadExport(r io.Reader, trusted crypto.VerifyKey) (*ExportReader, error) { panic("unimplemented") }
func (er *ExportReader) Next() (Item, io.Reader, error)                       { panic("unimplemented") }
func WriteReply(w io.Writer, m *ReplyManifest, key *crypto.SigningKey, open func(name string) (io.ReadCloser, error)) error {
	panic("unimplemented")
}
func ReadReply(r io.Reader, trusted func(signer string) (crypto.VerifyKey, bool)) (*ReplyReader, error) {
	panic("unimplemented")
}
func (rr *ReplyReader) Next() (string, io.Reader, error) { panic("unimplemented") }
