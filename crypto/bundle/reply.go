package bundle

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"

	"github.com/candor-drop/candor/crypto"
)

// ReplyReader reads a verified reply bundle.
type ReplyReader struct {
	Manifest *ReplyManifest
	// Signer is the pinned key that verified the manifest.
	Signer crypto.VerifyKey
	r      reader
}

func (m *ReplyManifest) validate() error {
	if m.Format != "candor-reply" || m.Version != 1 {
		return fmt.Errorf("%w: format %q version %d", ErrFormat, m.Format, m.Version)
	}
	if len(m.Replies)+len(m.Statuses) > MaxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrFormat, MaxEntries)
	}
	ids := make(map[string]bool)
	for _, r := range m.Replies {
		if !isHexID(r.ID) || ids[r.ID] || !isHexID(r.SourceID) {
			return fmt.Errorf("%w: bad or duplicate reply id %q", ErrFormat, r.ID)
		}
		ids[r.ID] = true
		if err := checkBlob("reply "+r.ID, r.Size, r.SHA256); err != nil {
			return err
		}
	}
	for _, s := range m.Statuses {
		if !isHexID(s.ID) || ids[s.ID] || !isHexID(s.SourceID) {
			return fmt.Errorf("%w: bad or duplicate status change id %q", ErrFormat, s.ID)
		}
		ids[s.ID] = true
		if s.Note != nil {
			if err := checkBlob("note "+s.ID, s.Note.Size, s.Note.SHA256); err != nil {
				return err
			}
		}
	}
	return nil
}

func (m *ReplyManifest) blobs() []blobRef {
	var b []blobRef
	for _, r := range m.Replies {
		b = append(b, blobRef{name: "replies/" + r.ID, size: r.Size, sha256: r.SHA256})
	}
	for _, s := range m.Statuses {
		if s.Note != nil {
			b = append(b, blobRef{name: "notes/" + s.ID, size: s.Note.Size, sha256: s.Note.SHA256})
		}
	}
	return b
}

// WriteReply writes a reply bundle: the manifest (Format, Version and Signer
// set here), its signature by key, then the blobs "replies/<id>" for each
// reply and "notes/<id>" for each status change with a note, in manifest
// order, as returned by open(name).
func WriteReply(w io.Writer, m *ReplyManifest, key *crypto.SigningKey, open func(name string) (io.ReadCloser, error)) error {
	m.Format, m.Version, m.Signer = "candor-reply", 1, key.Public().String()
	if m.Replies == nil {
		m.Replies = []Reply{}
	}
	if m.Statuses == nil {
		m.Statuses = []StatusChange{}
	}
	if err := m.validate(); err != nil {
		return err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("bundle: unable to encode the manifest: %w", err)
	}
	return writeBundle(w, replyDomain, data, key, m.blobs(), func(b blobRef) (io.ReadCloser, error) {
		return open(b.name)
	})
}

// ReadReply reads the head of a reply bundle. trusted maps the manifest's
// signer field to a pinned key; an unknown signer or a bad signature is
// ErrSignature. Blobs then come from Next.
func ReadReply(r io.Reader, trusted func(signer string) (crypto.VerifyKey, bool)) (*ReplyReader, error) {
	tr := tar.NewReader(r)
	data, sig, err := readHead(tr)
	if err != nil {
		return nil, err
	}
	// Only the signer field is read before verification, to pick the key.
	var head struct {
		Signer string `json:"signer"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("%w: manifest: %v", ErrFormat, err)
	}
	key, ok := trusted(head.Signer)
	if !ok {
		return nil, fmt.Errorf("%w: signed by a key that is not pinned", ErrSignature)
	}
	if err := verify(key, replyDomain, data, sig); err != nil {
		return nil, err
	}
	var m ReplyManifest
	if err := decodeStrict(data, &m); err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &ReplyReader{Manifest: &m, Signer: key, r: reader{tr: tr, blobs: m.blobs()}}, nil
}

// Next returns the next blob's name ("replies/<id>" or "notes/<id>") and a
// reader of its ciphertext, checked like ExportReader.Next. After the last
// blob it returns io.EOF.
func (rr *ReplyReader) Next() (string, io.Reader, error) {
	b, rd, err := rr.r.nextBlob()
	if err != nil {
		return "", nil, err
	}
	return b.name, rd, nil
}
