package store

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// someDay is the store's clock in these tests: a day that is not today,
// at a time of day that is not midnight.
var someDay = time.Date(2031, 3, 14, 15, 9, 26, 535897932, time.UTC)

var someMidnight = time.Date(2031, 3, 14, 0, 0, 0, 0, time.UTC)

func inode(t *testing.T, p string) uint64 {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// poolInodes maps the inode of each pool file in dir/blobs to its name.
func poolInodes(t *testing.T, dir string) map[uint64]string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	m := map[uint64]string{}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), poolPrefix) {
			m[inode(t, filepath.Join(dir, "blobs", e.Name()))] = e.Name()
		}
	}
	return m
}

func blobPath(t *testing.T, s *Store, dir, id string) string {
	t.Helper()
	var blob string
	if err := s.db.QueryRow("SELECT blob FROM items WHERE id = ?", id).Scan(&blob); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, "blobs", blob)
}

// checkTimes fails unless p's access and modification times are want.
// Lstat does not touch the access time.
func checkTimes(t *testing.T, p string, want time.Time) {
	t.Helper()
	fi, err := os.Lstat(p)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	atime := time.Unix(st.Atim.Unix())
	if !fi.ModTime().Equal(want) || !atime.Equal(want) {
		t.Errorf("%s: mtime %v, atime %v; want both %v", p, fi.ModTime().UTC(), atime.UTC(), want)
	}
}

// TestAddItemTakesPoolInode: a submission creates no inode. Every blob is
// a file of the pool that existed before AddItem was called, so its birth
// time (statx btime, which user space cannot set) is the time a batch was
// made, not the time of the submission. Over more items than a batch,
// the refill after a write keeps this true for the writes that follow.
func TestAddItemTakesPoolInode(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	src := newSource(t, s, "a")
	for i := range 3*poolBatch + 5 {
		before := poolInodes(t, dir)
		if len(before) == 0 {
			t.Fatalf("item %d: the pool is empty before the write", i)
		}
		it := addItem(t, s, src.ID, []byte("ciphertext"))
		ino := inode(t, blobPath(t, s, dir, it.ID))
		name, ok := before[ino]
		if !ok {
			t.Fatalf("item %d: blob inode %d is new, not one of the %d pool files present before the write", i, ino, len(before))
		}
		if _, err := os.Lstat(filepath.Join(dir, "blobs", name)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("item %d: pool file %s still there after it became a blob: %v", i, name, err)
		}
	}
	// The pool is there for the next process too.
	s.Close()
	s = openTest(t, dir)
	before := poolInodes(t, dir)
	it := addItem(t, s, src.ID, []byte("after reopen"))
	if _, ok := before[inode(t, blobPath(t, s, dir, it.ID))]; !ok {
		t.Fatal("after reopening, the blob's inode is new")
	}
	if b := readAll(t, s, it.ID); string(b) != "after reopen" {
		t.Fatalf("blob = %q", b)
	}
}

// TestPoolFallback: with no pool file to take and none creatable ahead
// of time, AddItem still stores the item (correctness before privacy).
func TestPoolFallback(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	src := newSource(t, s, "a")
	for _, name := range poolInodes(t, dir) {
		if err := os.Remove(filepath.Join(dir, "blobs", name)); err != nil {
			t.Fatal(err)
		}
	}
	s.poolMu.Lock()
	s.pool = nil
	s.filling = true // a fill "in progress" elsewhere: none will be made now
	s.poolMu.Unlock()
	it := addItem(t, s, src.ID, []byte("stored anyway"))
	if b := readAll(t, s, it.ID); string(b) != "stored anyway" {
		t.Fatalf("blob = %q", b)
	}
}

// TestBlobTimes: a blob's access and modification times are midnight UTC
// of the store's day, not the time of the submission.
func TestBlobTimes(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	s.SetClock(func() time.Time { return someDay })
	src := newSource(t, s, "a")
	it := addItem(t, s, src.ID, []byte("ciphertext"))
	checkTimes(t, blobPath(t, s, dir, it.ID), someMidnight)
}

// TestBlurTimestamps: after a pass, every file and directory in the data
// directory has access and modification times of midnight UTC of the day.
func TestBlurTimestamps(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := openTest(t, dir)
	s.SetClock(func() time.Time { return someDay })
	src := newSource(t, s, "a")
	for i := range 5 {
		it := addItem(t, s, src.ID, []byte("ciphertext"))
		if i%2 == 0 {
			if err := s.DeleteItem(ctx, it.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.TouchSource(ctx, src.ID); err != nil { // a write to the WAL
		t.Fatal(err)
	}
	if err := s.BlurTimestamps(); err != nil {
		t.Fatal(err)
	}
	// Directories first: listing one updates its access time.
	blobs := filepath.Join(dir, "blobs")
	checkTimes(t, dir, someMidnight)
	checkTimes(t, blobs, someMidnight)
	n := 0
	for _, d := range []string{dir, blobs} {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			checkTimes(t, filepath.Join(d, e.Name()), someMidnight)
			n++
		}
	}
	for _, p := range []string{"candor.db", "candor.db-wal", "blobs/" + lockName} {
		if _, err := os.Lstat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if n < 2+poolBatch {
		t.Fatalf("checked only %d files", n)
	}
}

// TestOpenKeepsPool: cleanup at Open removes leftovers of interrupted
// writes but keeps the pool files.
func TestOpenKeepsPool(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	keep := addItem(t, s, newSource(t, s, "a").ID, []byte("kept"))
	pool := poolInodes(t, dir)
	if len(pool) == 0 {
		t.Fatal("no pool files")
	}
	s.Close()
	tmp := filepath.Join(dir, "blobs", tmpPrefix+newID())
	if err := os.WriteFile(tmp, []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = openTest(t, dir)
	if _, err := os.Lstat(tmp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left after Open: %v", err)
	}
	after := poolInodes(t, dir)
	for ino, name := range pool {
		if after[ino] != name {
			t.Errorf("pool file %s removed by Open", name)
		}
	}
	if b := readAll(t, s, keep.ID); string(b) != "kept" {
		t.Fatalf("kept item = %q", b)
	}
}

// TestInterruptedWriteLeavesPoolEmpty: a write that fails at any step
// leaves no visible item and, besides the lock, only pool files, all of
// them empty (none is a half-written blob under another name).
func TestInterruptedWriteLeavesPoolEmpty(t *testing.T) {
	for _, step := range []string{"written", "synced", "renamed", "directory synced", "inserted"} {
		t.Run(step, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir)
			src := newSource(t, s, "a")
			s.testHook = func(st string) error {
				if st == step {
					return errInterrupted
				}
				return nil
			}
			if _, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, writeBytes([]byte("data"))); !errors.Is(err, errInterrupted) {
				t.Fatalf("err = %v", err)
			}
			if items, _ := s.Items(ctx, src.ID); len(items) != 0 {
				t.Fatalf("items: %+v", items)
			}
			entries, err := os.ReadDir(filepath.Join(dir, "blobs"))
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range entries {
				if e.Name() == lockName {
					continue
				}
				fi, err := e.Info()
				if !strings.HasPrefix(e.Name(), poolPrefix) || err != nil || fi.Size() != 0 {
					t.Errorf("left behind: %s (%v)", e.Name(), err)
				}
			}
		})
	}
}
