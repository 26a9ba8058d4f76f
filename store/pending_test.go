package store

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func addPending(t *testing.T, s *Store, sourceID string, content []byte) *Item {
	t.Helper()
	it, err := s.AddItem(ctx, NewItem{SourceID: sourceID, Kind: KindFile, Fingerprints: []string{"AAAA"}, Pending: true}, writeBytes(content))
	if err != nil {
		t.Fatal(err)
	}
	return it
}

func itemIDs(list []Item) []string {
	var ids []string
	for _, it := range list {
		ids = append(ids, it.ID)
	}
	return ids
}

// Pending items are stored but listed nowhere and counted nowhere until
// CommitItems, which makes all of them visible at once.
func TestPendingItemsInvisibleUntilCommitted(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	src := newSource(t, s, "a")
	done := addItem(t, s, src.ID, []byte("committed"))
	p1 := addPending(t, s, src.ID, []byte("pending one"))
	p2 := addPending(t, s, src.ID, []byte("pending two"))

	items, err := s.Items(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got := itemIDs(items); !slices.Equal(got, []string{done.ID}) {
		t.Errorf("Items lists %v, want only the committed %v", got, done.ID)
	}
	unexp, err := s.UnexportedItems(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if got := itemIDs(unexp); !slices.Equal(got, []string{done.ID}) {
		t.Errorf("UnexportedItems lists %v, want only %v", got, done.ID)
	}
	srcs, err := s.Sources(ctx)
	if err != nil || len(srcs) != 1 {
		t.Fatalf("Sources: %v, %v", srcs, err)
	}
	if srcs[0].ItemCount != 1 || srcs[0].NewCount != 1 {
		t.Errorf("counts with pending items: items %d new %d, want 1 and 1", srcs[0].ItemCount, srcs[0].NewCount)
	}
	// The code that stored them still reaches them by id.
	if got := readAll(t, s, p1.ID); string(got) != "pending one" {
		t.Errorf("pending item by id: %q", got)
	}

	// An unknown id: nothing is committed.
	if err := s.CommitItems(ctx, []string{p1.ID, newID()}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("CommitItems with an unknown id: %v, want ErrNotFound", err)
	}
	if items, _ := s.Items(ctx, src.ID); len(items) != 1 {
		t.Errorf("a failed CommitItems made %d items visible, want 1 (all or none)", len(items))
	}

	if err := s.CommitItems(ctx, []string{p1.ID, p2.ID}); err != nil {
		t.Fatal(err)
	}
	items, _ = s.Items(ctx, src.ID)
	if got := itemIDs(items); !slices.Equal(got, []string{done.ID, p1.ID, p2.ID}) {
		t.Errorf("after CommitItems Items lists %v", got)
	}
	src2, err := s.Source(ctx, src.ID)
	if err != nil {
		t.Fatal(err)
	}
	if src2.ItemCount != 3 || src2.NewCount != 3 {
		t.Errorf("counts after commit: items %d new %d, want 3 and 3", src2.ItemCount, src2.NewCount)
	}
}

// A pending source (a reporter's first submission, not yet acknowledged)
// cannot be logged in to, is not listed, and becomes visible with its items.
func TestPendingSource(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	src, err := s.CreatePendingSource(ctx, "lookup-p", []byte("pub-p"), "designation p")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.SourceByLookupID(ctx, "lookup-p"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SourceByLookupID found a pending source: %v", err)
	}
	if _, err := s.SourceByDesignation(ctx, "designation p"); !errors.Is(err, ErrNotFound) {
		t.Errorf("SourceByDesignation found a pending source: %v", err)
	}
	if srcs, _ := s.Sources(ctx); len(srcs) != 0 {
		t.Errorf("Sources lists a pending source: %v", srcs)
	}
	if ids, _ := s.SourcesInactiveSince(ctx, "2999-01-01"); len(ids) != 0 {
		t.Errorf("SourcesInactiveSince lists a pending source: %v", ids)
	}
	if _, err := s.CreatePendingSource(ctx, "lookup-p", []byte("pub-p"), "designation q"); !errors.Is(err, ErrExists) {
		t.Errorf("second source with the same lookup id: %v, want ErrExists", err)
	}
	it := addPending(t, s, src.ID, []byte("first"))
	// Not deleted while it holds an item.
	if err := s.DeletePendingSource(ctx, src.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeletePendingSource of a source with an item: %v, want ErrNotFound", err)
	}
	if err := s.CommitItems(ctx, []string{it.ID}); err != nil {
		t.Fatal(err)
	}
	got, err := s.SourceByLookupID(ctx, "lookup-p")
	if err != nil || got.ID != src.ID || got.ItemCount != 1 {
		t.Fatalf("after commit SourceByLookupID: %+v, %v", got, err)
	}
	if srcs, _ := s.Sources(ctx); len(srcs) != 1 {
		t.Errorf("after commit Sources lists %d sources, want 1", len(srcs))
	}
	// A committed source is never deleted as pending.
	if err := s.DeleteItem(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePendingSource(ctx, src.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("DeletePendingSource of a committed source: %v, want ErrNotFound", err)
	}
	// An empty pending source is deleted.
	empty, err := s.CreatePendingSource(ctx, "lookup-e", []byte("pub-e"), "designation e")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.DeletePendingSource(ctx, empty.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Source(ctx, empty.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("empty pending source still there: %v", err)
	}
}

// After a crash (the store reopened with rows still pending), Open deletes
// the pending items and sources and their blob files; committed ones stay.
// A second Open while the first store is open (an in-flight submission)
// leaves them alone.
func TestOpenDiscardsPending(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	src := newSource(t, s, "a")
	kept := addItem(t, s, src.ID, []byte("acknowledged"))
	lost := addPending(t, s, src.ID, []byte("interrupted attachment"))
	newSrc, err := s.CreatePendingSource(ctx, "lookup-n", []byte("pub-n"), "designation n")
	if err != nil {
		t.Fatal(err)
	}
	lostFirst := addPending(t, s, newSrc.ID, []byte("interrupted first report"))
	if n := len(blobFiles(t, dir)); n != 3 {
		t.Fatalf("%d blob files, want 3", n)
	}

	// Another opener while s is open: the pending rows may be in flight.
	s2, err := Open(dir, Options{MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Item(ctx, lost.ID); err != nil {
		t.Errorf("a shared Open discarded a pending item in flight: %v", err)
	}
	s2.Close()
	// The process dies: nothing commits. (Close stands in for the kill;
	// it changes no row.)
	s.Close()

	s = openTest(t, dir)
	for _, id := range []string{lost.ID, lostFirst.ID} {
		if _, err := s.Item(ctx, id); !errors.Is(err, ErrNotFound) {
			t.Errorf("pending item %s after restart: %v, want ErrNotFound", id, err)
		}
	}
	if _, err := s.Source(ctx, newSrc.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("pending source after restart: %v, want ErrNotFound", err)
	}
	if got := readAll(t, s, kept.ID); string(got) != "acknowledged" {
		t.Errorf("committed item after restart: %q", got)
	}
	files := blobFiles(t, dir)
	if len(files) != 1 {
		t.Errorf("blob files after restart: %v, want only the committed item's", files)
	}
	for _, f := range files {
		b, _ := os.ReadFile(filepath.Join(dir, "blobs", f))
		if string(b) != "acknowledged" {
			t.Errorf("blob %s left after restart holds %q", f, b)
		}
	}
	// The lookup id of the discarded source is free again.
	if _, err := s.CreateSource(ctx, "lookup-n", []byte("pub-n"), "designation n"); err != nil {
		t.Errorf("lookup id of a discarded pending source: %v", err)
	}
}
