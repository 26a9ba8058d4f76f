package workspace

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"syscall"
)

// Source is a source as the workspace knows it.
type Source struct {
	ID          string `json:"id"`
	Designation string `json:"designation"`
	PublicKey   string `json:"public_key"`
	Status      string `json:"status"`
	StatusDay   string `json:"status_day"`
}

// Item is an imported, decrypted item.
type Item struct {
	ID          string `json:"id"`
	SourceID    string `json:"source_id"`
	Kind        string `json:"kind"` // message, file, reply
	Day         string `json:"day"`
	Size        int64  `json:"size"` // plaintext bytes as stored
	Seq         int64  `json:"seq"`  // import order
	Filename    string `json:"filename,omitempty"`
	ContentType string `json:"content_type,omitempty"`
}

// Index is the workspace's record of what it holds.
type Index struct {
	Version int                `json:"version"`
	Bundles []string           `json:"bundles"`
	Sources map[string]*Source `json:"sources"`
	Items   map[string]*Item   `json:"items"`
	NextSeq int64              `json:"next_seq"`
}

func (h *Home) indexPath() string { return h.path(workspaceDir, "index.json") }

func (h *Home) itemPath(id string) string { return h.path(workspaceDir, "items", id) }

// LoadIndex reads the workspace index (empty when nothing was imported).
func (h *Home) LoadIndex() (*Index, error) {
	ix := &Index{Version: 1, Sources: map[string]*Source{}, Items: map[string]*Item{}}
	data, err := readFileLimit(h.indexPath(), 1<<30)
	if errors.Is(err, os.ErrNotExist) {
		return ix, nil
	}
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to read the index: %w", err)
	}
	if err := json.Unmarshal(data, ix); err != nil {
		return nil, fmt.Errorf("workspace: the index is damaged: %w", err)
	}
	if ix.Sources == nil {
		ix.Sources = map[string]*Source{}
	}
	if ix.Items == nil {
		ix.Items = map[string]*Item{}
	}
	return ix, nil
}

func (h *Home) saveIndex(ix *Index) error {
	data, err := json.MarshalIndent(ix, "", " ")
	if err != nil {
		return err
	}
	if err := writeFileAtomic(h.indexPath(), data); err != nil {
		return fmt.Errorf("workspace: unable to write the index: %w", err)
	}
	return nil
}

// lock takes an exclusive lock on the home for the duration of a change,
// so two candor-review processes (say, the TUI and a subcommand) cannot
// interleave their writes.
func (h *Home) lock() (unlock func(), err error) {
	f, err := os.OpenFile(h.path(".lock"), os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, fmt.Errorf("workspace: unable to lock the home: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("workspace: the home is in use by another candor-review: %w", err)
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}

// SourceView is a source with its items, for listing.
type SourceView struct {
	Source
	Items []Item `json:"items"`
}

// List returns every source with its items, sources by designation, items
// in import order.
func (ix *Index) List() []SourceView {
	bySrc := map[string][]Item{}
	for _, it := range ix.Items {
		bySrc[it.SourceID] = append(bySrc[it.SourceID], *it)
	}
	out := make([]SourceView, 0, len(ix.Sources))
	for _, s := range ix.Sources {
		items := bySrc[s.ID]
		sort.Slice(items, func(i, j int) bool { return items[i].Seq < items[j].Seq })
		if items == nil {
			items = []Item{}
		}
		out = append(out, SourceView{Source: *s, Items: items})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Designation != out[j].Designation {
			return out[i].Designation < out[j].Designation
		}
		return out[i].ID < out[j].ID
	})
	return out
}

// FindItem finds an item by its id or an unambiguous prefix of at least 4
// hex digits.
func (ix *Index) FindItem(ref string) (*Item, error) {
	ref = strings.ToLower(strings.TrimSpace(ref))
	if it, ok := ix.Items[ref]; ok {
		return it, nil
	}
	if len(ref) < 4 {
		return nil, fmt.Errorf("%w: item %q (give at least 4 characters of its id)", ErrNotFound, ref)
	}
	var found *Item
	for id, it := range ix.Items {
		if strings.HasPrefix(id, ref) {
			if found != nil {
				return nil, fmt.Errorf("%w: %q", ErrAmbiguous, ref)
			}
			found = it
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: item %q", ErrNotFound, ref)
	}
	return found, nil
}

// FindSource finds a source by id, or by designation (case and spacing do
// not matter). Designations need not be unique: one shared by two sources
// gives ErrAmbiguous, so that a reply never goes to the wrong source.
func (ix *Index) FindSource(ref string) (*Source, error) {
	want := strings.Join(strings.Fields(strings.ToLower(ref)), " ")
	if s, ok := ix.Sources[want]; ok {
		return s, nil
	}
	var found *Source
	for _, s := range ix.Sources {
		if strings.Join(strings.Fields(strings.ToLower(s.Designation)), " ") == want {
			if found != nil {
				return nil, fmt.Errorf("%w: more than one source is called %q", ErrAmbiguous, ref)
			}
			found = s
		}
	}
	if found == nil {
		return nil, fmt.Errorf("%w: source %q", ErrNotFound, ref)
	}
	return found, nil
}
