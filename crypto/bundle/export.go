package bundle

import (
	"archive/tar"
	"encoding/json"
	"fmt"
	"io"

	"github.com/candor-drop/candor/crypto"
)

// ExportReader reads a verified export bundle. Manifest is valid once
// ReadExport returned without error.
type ExportReader struct {
	Manifest *ExportManifest
	r        reader
}

func (m *ExportManifest) validate() error {
	if m.Format != "candor-export" || m.Version != 1 {
		return fmt.Errorf("%w: format %q version %d", ErrFormat, m.Format, m.Version)
	}
	if len(m.Items) > MaxEntries || len(m.Sources) > MaxEntries {
		return fmt.Errorf("%w: more than %d entries", ErrFormat, MaxEntries)
	}
	sources := make(map[string]bool, len(m.Sources))
	for _, s := range m.Sources {
		if !isHexID(s.ID) || sources[s.ID] {
			return fmt.Errorf("%w: bad or duplicate source id %q", ErrFormat, s.ID)
		}
		sources[s.ID] = true
	}
	items := make(map[string]bool, len(m.Items))
	for _, it := range m.Items {
		if !isHexID(it.ID) || items[it.ID] {
			return fmt.Errorf("%w: bad or duplicate item id %q", ErrFormat, it.ID)
		}
		items[it.ID] = true
		if !sources[it.SourceID] {
			return fmt.Errorf("%w: item %s names a source not in the bundle", ErrFormat, it.ID)
		}
		switch it.Kind {
		case "message", "file", "reply":
		default:
			return fmt.Errorf("%w: item %s has unknown kind %q", ErrFormat, it.ID, it.Kind)
		}
		if err := checkBlob("item "+it.ID, it.Size, it.SHA256); err != nil {
			return err
		}
	}
	return nil
}

func (m *ExportManifest) blobs() []blobRef {
	b := make([]blobRef, len(m.Items))
	for i, it := range m.Items {
		b[i] = blobRef{name: "items/" + it.ID, size: it.Size, sha256: it.SHA256}
	}
	return b
}

// WriteExport writes an export bundle to w: the manifest (Format, Version
// and Signer are set here), its signature by key, then each item's
// ciphertext as returned by open, in manifest order. Each item's size and
// SHA-256 must match the manifest, or WriteExport fails with ErrCorrupt; the
// caller must then discard what was written.
func WriteExport(w io.Writer, m *ExportManifest, key *crypto.SigningKey, open func(Item) (io.ReadCloser, error)) error {
	m.Format, m.Version, m.Signer = "candor-export", 1, key.Public().String()
	if m.Sources == nil {
		m.Sources = []Source{}
	}
	if m.Items == nil {
		m.Items = []Item{}
	}
	if err := m.validate(); err != nil {
		return err
	}
	data, err := json.Marshal(m)
	if err != nil {
		return fmt.Errorf("bundle: unable to encode the manifest: %w", err)
	}
	byName := make(map[string]Item, len(m.Items))
	for _, it := range m.Items {
		byName["items/"+it.ID] = it
	}
	return writeBundle(w, exportDomain, data, key, m.blobs(), func(b blobRef) (io.ReadCloser, error) {
		return open(byName[b.name])
	})
}

// ReadExport reads the head of an export bundle and verifies the manifest's
// signature against trusted before returning. Items then come from Next.
func ReadExport(r io.Reader, trusted crypto.VerifyKey) (*ExportReader, error) {
	tr := tar.NewReader(r)
	data, sig, err := readHead(tr)
	if err != nil {
		return nil, err
	}
	if err := verify(trusted, exportDomain, data, sig); err != nil {
		return nil, err
	}
	var m ExportManifest
	if err := decodeStrict(data, &m); err != nil {
		return nil, err
	}
	if err := m.validate(); err != nil {
		return nil, err
	}
	return &ExportReader{Manifest: &m, r: reader{tr: tr, blobs: m.blobs()}}, nil
}

// Next returns the next item and a reader of its ciphertext. The reader
// returns ErrCorrupt instead of io.EOF if the ciphertext does not match the
// signed manifest. After the last item Next returns io.EOF, having checked
// that nothing follows. Any error is final: discard everything staged.
func (er *ExportReader) Next() (Item, io.Reader, error) {
	_, rd, err := er.r.nextBlob()
	if err != nil {
		return Item{}, nil, err
	}
	return er.Manifest.Items[er.r.next-1], rd, nil
}
