package journalist

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
	"github.com/candor-drop/candor/store"
)

// ExportSelection chooses the items of an export bundle. With neither
// field set, the bundle holds every item not exported before.
type ExportSelection struct {
	ItemIDs []string // these items only
	All     bool     // every item of every source
}

// ExportResult describes a written export bundle.
type ExportResult struct {
	BundleID string
	ItemIDs  []string
	Sources  int
}

// ErrNothingToExport: the selection holds no item.
var ErrNothingToExport = userError("nothing_to_export", 409, "There is nothing new to export.", nil)

func randomID() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// selectItems resolves a selection to items.
func (s *Server) selectItems(ctx context.Context, sel ExportSelection) ([]store.Item, error) {
	switch {
	case len(sel.ItemIDs) > 0:
		var out []store.Item
		seen := map[string]bool{}
		for _, id := range sel.ItemIDs {
			if seen[id] {
				continue
			}
			seen[id] = true
			it, err := s.st.Item(ctx, id)
			if errors.Is(err, store.ErrNotFound) {
				return nil, userError("not_found", 404, "An item selected for export does not exist (deleted?).", err)
			}
			if err != nil {
				return nil, err
			}
			out = append(out, *it)
		}
		return out, nil
	case sel.All:
		srcs, err := s.st.Sources(ctx)
		if err != nil {
			return nil, err
		}
		var out []store.Item
		for _, src := range srcs {
			its, err := s.st.Items(ctx, src.ID)
			if err != nil {
				return nil, err
			}
			out = append(out, its...)
		}
		return out, nil
	default:
		return s.st.UnexportedItems(ctx)
	}
}

// Export writes a signed export bundle of the selected items to w: their
// ciphertext, and each of their sources' id, designation, armored public
// key and status. It does not mark the items exported: call CommitExport
// once the bundle is safely delivered. If Export fails, what was written
// to w must be discarded.
func (s *Server) Export(ctx context.Context, w io.Writer, sel ExportSelection) (*ExportResult, error) {
	if s.signing == nil {
		return nil, errors.New("journalist: no signing key configured")
	}
	items, err := s.selectItems(ctx, sel)
	if err != nil {
		return nil, err
	}
	if len(items) == 0 {
		return nil, ErrNothingToExport
	}
	set, err := s.st.Settings(ctx)
	if err != nil {
		return nil, err
	}
	bid, err := randomID()
	if err != nil {
		return nil, fmt.Errorf("journalist: unable to make a bundle id: %w", err)
	}
	m := &bundle.ExportManifest{BundleID: bid, Day: s.today(), Instance: set.OrganisationName}
	res := &ExportResult{BundleID: bid}
	seen := map[string]bool{}
	for _, it := range items {
		if !seen[it.SourceID] {
			seen[it.SourceID] = true
			src, err := s.st.Source(ctx, it.SourceID)
			if err != nil {
				return nil, err
			}
			pk, err := crypto.ParsePublicKey(src.PublicKey)
			if err != nil {
				return nil, fmt.Errorf("journalist: unable to read a source key: %w", err)
			}
			m.Sources = append(m.Sources, bundle.Source{
				ID: src.ID, Designation: src.Designation, PublicKey: pk.Armored(),
				Status: src.Status, StatusDay: src.StatusDay,
			})
		}
		fprs := it.Fingerprints
		if fprs == nil {
			fprs = []string{}
		}
		m.Items = append(m.Items, bundle.Item{
			ID: it.ID, SourceID: it.SourceID, Kind: string(it.Kind), Day: it.Day,
			Size: it.Size, SHA256: it.SHA256, Fingerprints: fprs,
		})
		res.ItemIDs = append(res.ItemIDs, it.ID)
	}
	res.Sources = len(m.Sources)
	err = bundle.WriteExport(w, m, s.signing, func(it bundle.Item) (io.ReadCloser, error) {
		rc, _, err := s.st.OpenItem(ctx, it.ID)
		return rc, err
	})
	if err != nil {
		return nil, fmt.Errorf("journalist: unable to write the export bundle: %w", err)
	}
	return res, nil
}

// CommitExport marks the items of a delivered bundle exported and writes
// the audit log entry.
func (s *Server) CommitExport(ctx context.Context, actor string, res *ExportResult) error {
	if err := s.st.MarkExported(ctx, res.ItemIDs); err != nil {
		return err
	}
	s.audit(ctx, actor, "export bundle", fmt.Sprintf("items=%d sources=%d", len(res.ItemIDs), res.Sources))
	return nil
}
