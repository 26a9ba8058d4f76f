package workspace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/candor-drop/candor/cmd/candor-review/internal/scrub"
)

// ReadReport returns the report of a "message" item.
func (h *Home) ReadReport(it *Item) (*Report, error) {
	data, err := readFileLimit(h.itemPath(it.ID), MaxReportBytes)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read item %s: %w", it.ID, err)
	}
	return ParseReport(data)
}

// ReadReply returns the text of a "reply" item.
func (h *Home) ReadReply(it *Item) (string, error) {
	data, err := readFileLimit(h.itemPath(it.ID), MaxReportBytes)
	if err != nil {
		return "", fmt.Errorf("workspace: unable to read item %s: %w", it.ID, err)
	}
	return ParseReply(data)
}

// OpenAttachment opens a "file" item positioned at the first byte of the
// attached file, and returns its header and size.
func (h *Home) OpenAttachment(it *Item) (io.ReadCloser, *AttachmentHeader, int64, error) {
	if it.Kind != "file" {
		return nil, nil, 0, fmt.Errorf("workspace: item %s is a %s, not an attachment", it.ID, it.Kind)
	}
	f, err := os.Open(h.itemPath(it.ID))
	if err != nil {
		return nil, nil, 0, fmt.Errorf("workspace: unable to read item %s: %w", it.ID, err)
	}
	br := bufio.NewReader(f)
	hdr, n, err := ReadAttachmentHeader(br)
	if err != nil {
		f.Close()
		return nil, nil, 0, err
	}
	return struct {
		io.Reader
		io.Closer
	}{br, f}, hdr, it.Size - n, nil
}

// ExportResult says what Export wrote.
type ExportResult struct {
	Original string // path of the untouched original
	Cleaned  string // path of the metadata-stripped copy, or "" if none
	Format   string // format recognised from the content, or ""
	Removed  []string
	// NotCleaned says, for people, why there is no cleaned copy.
	NotCleaned string
}

// Export writes an attachment into dir twice: untouched under its
// sanitised original name, and with metadata removed as NAME.clean.EXT.
// Neither file may exist yet. The file is never opened by another program.
func (h *Home) Export(it *Item, dir string) (*ExportResult, error) {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return nil, fmt.Errorf("workspace: unable to create %s: %w", dir, err)
	}
	rc, hdr, size, err := h.OpenAttachment(it)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	name := SafeFileName(hdr.Filename, it.ID)
	res := &ExportResult{Original: filepath.Join(dir, name)}
	cleanName := cleanedName(name)

	// Refuse before writing anything if either name is taken.
	for _, p := range []string{res.Original, filepath.Join(dir, cleanName)} {
		if _, err := os.Lstat(p); err == nil {
			return nil, fmt.Errorf("workspace: %s already exists: %w", p, os.ErrExist)
		}
	}
	var data []byte
	if size <= scrub.MaxBytes {
		data, err = io.ReadAll(io.LimitReader(rc, size))
		if err != nil {
			return nil, fmt.Errorf("workspace: unable to read item %s: %w", it.ID, err)
		}
		err = writeNewFile(res.Original, func(w io.Writer) error { _, err := w.Write(data); return err })
	} else {
		err = writeNewFile(res.Original, func(w io.Writer) error { _, err := io.Copy(w, rc); return err })
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to write %s: %w", res.Original, err)
	}
	if data == nil && size > 0 {
		res.NotCleaned = "the file is too large to clean"
		return res, nil
	}
	res.Format = scrub.Detect(data)
	clean, sr, err := scrub.Clean(data)
	switch {
	case errors.Is(err, scrub.ErrUnsupported):
		res.NotCleaned = "candor-review cannot remove metadata from this kind of file; treat the original as carrying metadata"
		return res, nil
	case err != nil:
		res.NotCleaned = strings.TrimPrefix(err.Error(), "scrub: ")
		return res, nil
	}
	res.Removed = sr.Removed
	res.Cleaned = filepath.Join(dir, cleanName)
	if err := writeNewFile(res.Cleaned, func(w io.Writer) error { _, err := w.Write(clean); return err }); err != nil {
		return nil, fmt.Errorf("workspace: unable to write %s: %w", res.Cleaned, err)
	}
	return res, nil
}

// cleanedName turns "photo.jpg" into "photo.clean.jpg".
func cleanedName(name string) string {
	ext := filepath.Ext(name)
	stem := strings.TrimSuffix(name, ext)
	if stem == "" {
		stem, ext = name, ""
	}
	return stem + ".clean" + ext
}
