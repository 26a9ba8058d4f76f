package workspace

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

// Skipped is an item of a verified bundle that could not be used: it did
// not decrypt with this key, or its plaintext is not in the report format.
type Skipped struct {
	ID     string
	Kind   string
	Source string // designation
	Reason string
}

// ImportResult says what an import did.
type ImportResult struct {
	BundleID   string
	Instance   string
	New        []Item    // items added to the workspace
	Known      int       // items already in the workspace
	Skipped    []Skipped // malformed items, reported and not imported
	NewSources int
	Unchanged  bool // the bundle had been imported before and added nothing
}

// ImportOptions are optional inputs of Import.
type ImportOptions struct {
	// Progress, if set, is called with the total ciphertext size first and
	// then with each chunk of bytes read.
	Progress func(total, n int64)
}

// Import verifies the export bundle read from r against the pinned server
// key, decrypts its items with key and files them in the workspace. It is
// all or nothing: if the signature, any digest or the archive structure
// fails, nothing is changed. An item that is verified but does not decrypt
// or parse is reported in Skipped and the rest are imported. Importing the
// same bundle again changes nothing.
func (h *Home) Import(r io.Reader, key *crypto.PrivateKey, o ImportOptions) (*ImportResult, error) {
	trusted, err := h.Trusted()
	if err != nil {
		return nil, err
	}
	er, err := bundle.ReadExport(r, trusted)
	if err != nil {
		return nil, fmt.Errorf("workspace: bundle refused, nothing imported: %w", err)
	}
	m := er.Manifest
	unlock, err := h.lock()
	if err != nil {
		return nil, err
	}
	defer unlock()
	// Staging left by an import that was killed (it holds plaintext of a
	// bundle never accepted); no other import runs while the lock is held.
	if ents, err := os.ReadDir(h.path(workspaceDir)); err == nil {
		for _, e := range ents {
			if strings.HasPrefix(e.Name(), ".staging-") {
				os.RemoveAll(h.path(workspaceDir, e.Name()))
			}
		}
	}
	ix, err := h.LoadIndex()
	if err != nil {
		return nil, err
	}
	res := &ImportResult{BundleID: m.BundleID, Instance: m.Instance}

	staging, err := os.MkdirTemp(h.path(workspaceDir), ".staging-")
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to create a staging directory: %w", err)
	}
	defer os.RemoveAll(staging)

	designation := map[string]string{}
	for _, s := range m.Sources {
		designation[s.ID] = s.Designation
	}
	var total int64
	for _, it := range m.Items {
		total += it.Size
	}
	if o.Progress != nil {
		o.Progress(total, 0)
	}
	var staged []Item
	for {
		it, rd, err := er.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("workspace: bundle refused, nothing imported: %w", err)
		}
		if !bundle.ValidID(it.ID) || !bundle.ValidID(it.SourceID) {
			return nil, fmt.Errorf("workspace: bundle refused, nothing imported: bad id %q", it.ID)
		}
		if _, ok := ix.Items[it.ID]; ok {
			res.Known++
			if o.Progress != nil {
				o.Progress(total, it.Size) // Next drains and verifies it
			}
			continue
		}
		tr := &trackReader{r: rd, progress: o.Progress, total: total}
		item, reason, err := stageItem(staging, it, tr, key)
		if tr.err != nil {
			// The bundle itself is bad (digest, truncation): refuse whole.
			return nil, fmt.Errorf("workspace: bundle refused, nothing imported: %w", tr.err)
		}
		if err != nil {
			return nil, err
		}
		if reason != "" {
			res.Skipped = append(res.Skipped, Skipped{ID: it.ID, Kind: it.Kind, Source: designation[it.SourceID], Reason: reason})
			continue
		}
		staged = append(staged, *item)
	}

	// Every entry verified: commit.
	for _, s := range m.Sources {
		if !bundle.ValidID(s.ID) {
			continue
		}
		old, ok := ix.Sources[s.ID]
		if !ok {
			res.NewSources++
			ix.Sources[s.ID] = &Source{ID: s.ID, Designation: s.Designation, PublicKey: s.PublicKey, Status: s.Status, StatusDay: s.StatusDay}
			continue
		}
		if s.StatusDay >= old.StatusDay {
			old.Status, old.StatusDay = s.Status, s.StatusDay
		}
		old.Designation, old.PublicKey = s.Designation, s.PublicKey
	}
	for i := range staged {
		it := staged[i]
		if err := os.Rename(filepath.Join(staging, it.ID), h.itemPath(it.ID)); err != nil {
			return nil, fmt.Errorf("workspace: unable to file item %s: %w", it.ID, err)
		}
		it.Seq = ix.NextSeq
		ix.NextSeq++
		ix.Items[it.ID] = &it
		res.New = append(res.New, it)
	}
	if err := syncDir(h.path(workspaceDir, "items")); err != nil {
		return nil, fmt.Errorf("workspace: %w", err)
	}
	seen := false
	for _, b := range ix.Bundles {
		seen = seen || b == m.BundleID
	}
	if seen && len(res.New) == 0 && res.NewSources == 0 {
		res.Unchanged = true
		return res, nil
	}
	if !seen {
		ix.Bundles = append(ix.Bundles, m.BundleID)
	}
	if err := h.saveIndex(ix); err != nil {
		return nil, err
	}
	return res, nil
}

// stageItem decrypts one item into the staging directory and checks its
// plaintext format. A non-empty reason means the item is skipped.
func stageItem(staging string, it bundle.Item, r io.Reader, key *crypto.PrivateKey) (*Item, string, error) {
	name := filepath.Join(staging, it.ID)
	f, err := createExcl(name)
	if err != nil {
		return nil, "", fmt.Errorf("workspace: unable to stage item: %w", err)
	}
	bw := bufio.NewWriterSize(&limitWriter{w: f, n: maxPlaintext(it.Size)}, 256<<10)
	derr := crypto.DecryptTo(bw, r, key)
	if derr == nil {
		derr = bw.Flush()
		if derr != nil && !errors.Is(derr, errExpands) {
			f.Close()
			return nil, "", fmt.Errorf("workspace: unable to stage item: %w", derr)
		}
	}
	if derr == nil {
		derr = f.Sync()
	}
	size, _ := f.Seek(0, io.SeekCurrent)
	f.Close()
	if derr != nil {
		os.Remove(name)
		if errors.Is(derr, errExpands) {
			return nil, fmt.Sprintf("it decompresses to more than %d bytes, over %d times its size in the bundle (a decompression bomb?)", maxPlaintext(it.Size), MaxExpansion), nil
		}
		if errors.Is(derr, crypto.ErrDecrypt) || errors.Is(derr, crypto.ErrPassphrase) {
			return nil, "it does not decrypt with this submission key (damaged, or encrypted to another key)", nil
		}
		return nil, "it does not decrypt: " + derr.Error(), nil
	}
	item := &Item{ID: it.ID, SourceID: it.SourceID, Kind: it.Kind, Day: it.Day, Size: size}
	if reason := checkPlaintext(name, item); reason != "" {
		os.Remove(name)
		return nil, reason, nil
	}
	return item, "", nil
}

// MaxExpansion bounds the plaintext of an item to MaxExpansion times its
// ciphertext size plus 1 MiB. Candor's server never compresses, so its
// plaintexts are smaller than their ciphertexts; go-crypto decompresses
// compressed OpenPGP data without a limit, and this keeps a small hostile
// item from filling the disk.
const MaxExpansion = 16

var errExpands = errors.New("plaintext larger than the bound")

func maxPlaintext(ciphertext int64) int64 {
	if ciphertext > (math.MaxInt64-1<<20)/MaxExpansion {
		return math.MaxInt64
	}
	return ciphertext*MaxExpansion + 1<<20
}

// limitWriter fails with errExpands once more than n bytes were written.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if int64(len(p)) > l.n {
		return 0, errExpands
	}
	l.n -= int64(len(p))
	return l.w.Write(p)
}

// checkPlaintext verifies the plaintext format of a staged item and fills
// the attachment fields.
func checkPlaintext(name string, item *Item) string {
	switch item.Kind {
	case "message":
		data, err := readFileLimit(name, MaxReportBytes)
		if err != nil {
			return "the report is too large"
		}
		if _, err := ParseReport(data); err != nil {
			return "the report is not in the expected format"
		}
	case "reply":
		data, err := readFileLimit(name, MaxReportBytes)
		if err != nil {
			return "the reply is too large"
		}
		if _, err := ParseReply(data); err != nil {
			return "the reply is not text"
		}
	case "file":
		f, err := os.Open(name)
		if err != nil {
			return "the attachment cannot be read back"
		}
		defer f.Close()
		hdr, _, err := ReadAttachmentHeader(bufio.NewReader(f))
		if err != nil {
			return "the attachment is not in the expected format"
		}
		item.Filename = SafeFileName(hdr.Filename, item.ID)
		item.ContentType = hdr.ContentType
	default:
		return "unknown kind of item"
	}
	return ""
}

// trackReader passes reads through, counts progress and remembers an error
// of the bundle stream itself (as opposed to a decryption error), which
// makes the whole bundle refused.
type trackReader struct {
	r        io.Reader
	err      error
	progress func(total, n int64)
	total    int64
}

func (t *trackReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if t.progress != nil && n > 0 {
		t.progress(t.total, int64(n))
	}
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}
