package store

import (
	"errors"
	"slices"
	"testing"
)

// TestDeleteSourceIfInactiveSince: a source that became active after the
// retention listing is kept with its items; a stale one is deleted with
// its blob files; neither a kept nor a missing source is an error.
func TestDeleteSourceIfInactiveSince(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	setDay(s, "2025-01-01")
	stale, touched := newSource(t, s, "stale"), newSource(t, s, "touched")
	addItem(t, s, stale.ID, []byte("stale 1"))
	addItem(t, s, stale.ID, []byte("stale 2"))
	addItem(t, s, touched.ID, []byte("old report"))
	setDay(s, "2026-03-10")
	fresh := newSource(t, s, "fresh")
	keep := addItem(t, s, fresh.ID, []byte("fresh report"))

	const cutoff = "2026-01-01"
	ids, err := s.SourcesInactiveSince(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(ids, stale.ID) || !slices.Contains(ids, touched.ID) || slices.Contains(ids, fresh.ID) {
		t.Fatalf("inactive sources %v", ids)
	}
	// Between the listing and the delete, the source logs in and submits.
	if err := s.TouchSource(ctx, touched.ID); err != nil {
		t.Fatal(err)
	}
	justSent := addItem(t, s, touched.ID, []byte("new report"))

	for _, id := range []string{touched.ID, fresh.ID} {
		if deleted, err := s.DeleteSourceIfInactiveSince(ctx, id, cutoff); err != nil || deleted {
			t.Fatalf("active source: deleted=%v err=%v", deleted, err)
		}
	}
	if src, err := s.Source(ctx, touched.ID); err != nil || src.ItemCount != 2 {
		t.Fatalf("source touched after the listing: %+v, %v", src, err)
	}
	if b := readAll(t, s, justSent.ID); string(b) != "new report" {
		t.Fatalf("just submitted item = %q", b)
	}
	if n := len(blobFiles(t, dir)); n != 5 {
		t.Fatalf("%d blob files before deleting, want 5", n)
	}

	deleted, err := s.DeleteSourceIfInactiveSince(ctx, stale.ID, cutoff)
	if err != nil || !deleted {
		t.Fatalf("stale source: deleted=%v err=%v", deleted, err)
	}
	if _, err := s.Source(ctx, stale.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("stale source still there: %v", err)
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM items WHERE source_id = ?", stale.ID).Scan(&rows); err != nil || rows != 0 {
		t.Fatalf("%d item rows of the stale source remain: %v", rows, err)
	}
	if n := len(blobFiles(t, dir)); n != 3 {
		t.Fatalf("%d blob files after deleting the stale source, want 3", n)
	}
	if b := readAll(t, s, keep.ID); string(b) != "fresh report" {
		t.Fatalf("other source's item = %q", b)
	}
	// Gone already (a reviewer deleted it meanwhile): not deleted, no error.
	if deleted, err := s.DeleteSourceIfInactiveSince(ctx, stale.ID, cutoff); err != nil || deleted {
		t.Fatalf("missing source: deleted=%v err=%v", deleted, err)
	}
	if _, err := s.DeleteSourceIfInactiveSince(ctx, touched.ID, "2026-1-1"); err == nil {
		t.Fatal("a malformed day was accepted")
	}
}
