package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

var ctx = context.Background()

func openTest(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir, Options{MinFreeBytes: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func setDay(s *Store, day string) {
	d, err := time.Parse(time.DateOnly, day)
	if err != nil {
		panic(err)
	}
	// An instant late in the day in a zone east of UTC: Today must still be UTC.
	t := d.Add(23 * time.Hour).In(time.FixedZone("east", 5*3600))
	s.now = func() time.Time { return t }
}

func newSource(t *testing.T, s *Store, n string) *Source {
	t.Helper()
	src, err := s.CreateSource(ctx, "lookup-"+n, []byte("pub-"+n), "designation "+n)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func writeBytes(b []byte) func(io.Writer) error {
	return func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}
}

func addItem(t *testing.T, s *Store, sourceID string, content []byte) *Item {
	t.Helper()
	it, err := s.AddItem(ctx, NewItem{SourceID: sourceID, Kind: KindMessage, Fingerprints: []string{"AAAA", "BBBB"}}, writeBytes(content))
	if err != nil {
		t.Fatal(err)
	}
	return it
}

// blobFiles lists the files in the blob directory other than the lock and
// the pool of empty files waiting to become blobs.
func blobFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if e.Name() != lockName && !strings.HasPrefix(e.Name(), poolPrefix) {
			names = append(names, e.Name())
		}
	}
	return names
}

func readAll(t *testing.T, s *Store, id string) []byte {
	t.Helper()
	rc, _, err := s.OpenItem(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPragmasOnEveryConnection(t *testing.T) {
	s := openTest(t, t.TempDir())
	// Hold several connections at once so the pool must open new ones.
	for i := range 4 {
		c, err := s.db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		var fk, sd, busy int
		var jm string
		if err := c.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA secure_delete").Scan(&sd); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA busy_timeout").Scan(&busy); err != nil {
			t.Fatal(err)
		}
		if err := c.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&jm); err != nil {
			t.Fatal(err)
		}
		if fk != 1 || sd != 1 || busy < 1000 || jm != "wal" {
			t.Errorf("connection %d: foreign_keys=%d secure_delete=%d busy_timeout=%d journal_mode=%s", i, fk, sd, busy, jm)
		}
	}
}

func TestMigrations(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	var v int
	if err := s.db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	if v != len(migrations) {
		t.Fatalf("user_version = %d, want %d", v, len(migrations))
	}
	newSource(t, s, "a")
	s.Close()

	// Reopening runs nothing again and keeps the data.
	s = openTest(t, dir)
	if _, err := s.SourceByDesignation(ctx, "designation a"); err != nil {
		t.Fatal(err)
	}
	// A database from a newer program is refused.
	if _, err := s.db.Exec("PRAGMA user_version = 999"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if s2, err := Open(dir, Options{}); err == nil {
		s2.Close()
		t.Fatal("Open accepted a database with a newer schema")
	}
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := openTest(t, dir)
	addItem(t, s, newSource(t, s, "a").ID, []byte("x"))
	check := func(p string, want os.FileMode) {
		fi, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != want {
			t.Errorf("%s: mode %v, want %v", p, fi.Mode().Perm(), want)
		}
	}
	check(dir, 0o700)
	check(filepath.Join(dir, "blobs"), 0o700)
	check(filepath.Join(dir, "candor.db"), 0o600)
	check(filepath.Join(dir, "candor.db-wal"), 0o600)
	for _, b := range blobFiles(t, dir) {
		check(filepath.Join(dir, "blobs", b), 0o600)
	}
}

func TestSettings(t *testing.T) {
	s := openTest(t, t.TempDir())
	if _, err := s.Setting(ctx, "kdf_params"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing setting: err = %v, want ErrNotFound", err)
	}
	if err := s.SetSetting(ctx, "kdf_params", []byte(`{"time":3}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.SetSetting(ctx, "kdf_params", []byte(`{"time":4}`)); err != nil {
		t.Fatal(err)
	}
	if v, err := s.Setting(ctx, "kdf_params"); err != nil || string(v) != `{"time":4}` {
		t.Fatalf("Setting = %q, %v", v, err)
	}

	st, err := s.Settings(ctx)
	if err != nil || st != DefaultSettings {
		t.Fatalf("Settings of a new store = %+v, %v; want the defaults", st, err)
	}
	// Fields never saved take their defaults.
	if err := s.SetSetting(ctx, settingsKey, []byte(`{"organisation_name":"Unit 7","uploads_allowed":false}`)); err != nil {
		t.Fatal(err)
	}
	want := DefaultSettings
	want.OrganisationName = "Unit 7"
	want.UploadsAllowed = false
	if st, err := s.Settings(ctx); err != nil || st != want {
		t.Fatalf("Settings = %+v, %v; want %+v", st, err, want)
	}
	want.RetentionDays = 0
	want.MaxUploadBytes = 1 << 20
	if err := s.SaveSettings(ctx, want); err != nil {
		t.Fatal(err)
	}
	if st, err := s.Settings(ctx); err != nil || st != want {
		t.Fatalf("Settings = %+v, %v; want %+v", st, err, want)
	}
	bad := want
	bad.MaxUploadBytes = 0
	if err := s.SaveSettings(ctx, bad); err == nil {
		t.Error("SaveSettings accepted a zero upload limit")
	}
}

func TestSubmissionKeys(t *testing.T) {
	s := openTest(t, t.TempDir())
	setDay(s, "2026-03-04")
	if err := s.AddSubmissionKey(ctx, "FPR1", []byte("key1")); err != nil {
		t.Fatal(err)
	}
	if err := s.AddSubmissionKey(ctx, "FPR1", []byte("other")); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate key: err = %v, want ErrExists", err)
	}
	if err := s.RetireSubmissionKey(ctx, "FPR1"); !errors.Is(err, ErrLastKey) {
		t.Fatalf("retiring the only key: err = %v, want ErrLastKey", err)
	}
	if err := s.AddSubmissionKey(ctx, "FPR2", []byte("key2")); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireSubmissionKey(ctx, "FPR1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RetireSubmissionKey(ctx, "NOPE"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown key: err = %v, want ErrNotFound", err)
	}
	active, err := s.SubmissionKeys(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if len(active) != 1 || active[0].Fingerprint != "FPR2" || string(active[0].PublicKey) != "key2" || !active[0].Active || active[0].AddedDay != "2026-03-04" {
		t.Fatalf("active keys = %+v", active)
	}
	all, err := s.SubmissionKeys(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Fingerprint != "FPR1" || all[0].Active || string(all[0].PublicKey) != "key1" {
		t.Fatalf("all keys = %+v", all)
	}
}

func TestSources(t *testing.T) {
	s := openTest(t, t.TempDir())
	setDay(s, "2026-01-10")
	a, err := s.CreateSource(ctx, "lookup-a", []byte("pub-a"), "brave otter")
	if err != nil {
		t.Fatal(err)
	}
	if !isID(a.ID) || a.LookupID != "lookup-a" || string(a.PublicKey) != "pub-a" || a.Designation != "brave otter" ||
		a.CreatedDay != "2026-01-10" || a.LastActiveDay != "2026-01-10" || a.Status != StatusReceived ||
		a.StatusDay != "2026-01-10" || a.Starred || a.StatusNote != nil || a.ItemCount != 0 || a.NewCount != 0 {
		t.Fatalf("new source = %+v", a)
	}
	if _, err := s.CreateSource(ctx, "lookup-b", []byte("pub-b"), "brave otter"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate designation: err = %v, want ErrExists", err)
	}
	if _, err := s.CreateSource(ctx, "lookup-a", []byte("pub-b"), "calm heron"); !errors.Is(err, ErrExists) {
		t.Fatalf("duplicate lookup id: err = %v, want ErrExists", err)
	}
	for name, get := range map[string]func() (*Source, error){
		"id":          func() (*Source, error) { return s.Source(ctx, a.ID) },
		"lookup":      func() (*Source, error) { return s.SourceByLookupID(ctx, "lookup-a") },
		"designation": func() (*Source, error) { return s.SourceByDesignation(ctx, "brave otter") },
	} {
		got, err := get()
		if err != nil || got.ID != a.ID {
			t.Errorf("by %s: %+v, %v", name, got, err)
		}
	}
	for name, get := range map[string]func() (*Source, error){
		"id":          func() (*Source, error) { return s.Source(ctx, "0123456789abcdef0123456789abcdef") },
		"lookup":      func() (*Source, error) { return s.SourceByLookupID(ctx, "nope") },
		"designation": func() (*Source, error) { return s.SourceByDesignation(ctx, "nope") },
	} {
		if got, err := get(); !errors.Is(err, ErrNotFound) || got != nil {
			t.Errorf("missing by %s: %+v, %v; want ErrNotFound", name, got, err)
		}
	}

	setDay(s, "2026-02-01")
	b := newSource(t, s, "b")
	addItem(t, s, b.ID, []byte("one"))
	it2 := addItem(t, s, b.ID, []byte("two"))
	if err := s.MarkExported(ctx, []string{it2.ID}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStarred(ctx, a.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, a.ID, StatusReferred, []byte("ciphertext")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, a.ID, "made up", nil); err == nil {
		t.Error("SetStatus accepted an unknown status")
	}
	list, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 2 || list[0].ID != b.ID || list[1].ID != a.ID {
		t.Fatalf("Sources = %+v", list)
	}
	if list[0].ItemCount != 2 || list[0].NewCount != 1 {
		t.Errorf("counts of b = %d/%d, want 2/1", list[0].ItemCount, list[0].NewCount)
	}
	got := list[1]
	if !got.Starred || got.Status != StatusReferred || string(got.StatusNote) != "ciphertext" || got.StatusDay != "2026-02-01" || got.LastActiveDay != "2026-01-10" {
		t.Errorf("a = %+v", got)
	}
	if src, _ := s.Source(ctx, b.ID); src.ItemCount != 2 || src.NewCount != 1 {
		t.Errorf("Source counts = %d/%d, want 2/1", src.ItemCount, src.NewCount)
	}

	// Retention: a was last active 2026-01-10, b 2026-02-01.
	ids, err := s.SourcesInactiveSince(ctx, "2026-02-01")
	if err != nil || !slices.Equal(ids, []string{a.ID}) {
		t.Fatalf("SourcesInactiveSince = %v, %v", ids, err)
	}
	setDay(s, "2026-03-01")
	if err := s.TouchSource(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if ids, _ := s.SourcesInactiveSince(ctx, "2026-02-02"); !slices.Equal(ids, []string{b.ID}) {
		t.Fatalf("after touch: SourcesInactiveSince = %v", ids)
	}
	if _, err := s.SourcesInactiveSince(ctx, "1 Feb"); err == nil {
		t.Error("SourcesInactiveSince accepted a malformed day")
	}

	missing := "0123456789abcdef0123456789abcdef"
	for name, err := range map[string]error{
		"touch":        s.TouchSource(ctx, missing),
		"star":         s.SetStarred(ctx, missing, true),
		"status":       s.SetStatus(ctx, missing, StatusInReview, nil),
		"delete":       s.DeleteSource(ctx, missing),
		"delete items": s.DeleteSourceItems(ctx, missing),
	} {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s of a missing source: err = %v, want ErrNotFound", name, err)
		}
	}
	if _, err := s.Items(ctx, missing); !errors.Is(err, ErrNotFound) {
		t.Errorf("Items of a missing source: err = %v", err)
	}
}

func TestItemRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	setDay(s, "2026-05-06")
	src := newSource(t, s, "a")
	content := make([]byte, 3<<20+17)
	rand.Read(content)
	it, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindFile, Fingerprints: []string{"F1", "F2"}}, func(w io.Writer) error {
		// Many small writes, as an encrypter makes.
		for b := content; len(b) > 0; {
			n := min(len(b), 1000)
			if _, err := w.Write(b[:n]); err != nil {
				return err
			}
			b = b[n:]
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(content)
	want := Item{ID: it.ID, SourceID: src.ID, Kind: KindFile, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:]), Day: "2026-05-06", Fingerprints: []string{"F1", "F2"}}
	if !isID(it.ID) || !itemEqual(*it, want) {
		t.Fatalf("AddItem = %+v, want %+v", *it, want)
	}
	got, err := s.Item(ctx, it.ID)
	if err != nil || !itemEqual(*got, want) {
		t.Fatalf("Item = %+v, %v", got, err)
	}
	if b := readAll(t, s, it.ID); !bytes.Equal(b, content) {
		t.Fatal("OpenItem returned different bytes")
	}

	reply, err := s.AddItem(ctx, NewItem{ID: "00112233445566778899aabbccddeeff", SourceID: src.ID, Kind: KindReply, Fingerprints: []string{"S"}}, writeBytes([]byte("reply")))
	if err != nil || reply.ID != "00112233445566778899aabbccddeeff" {
		t.Fatalf("AddItem with id = %+v, %v", reply, err)
	}
	called := false
	_, err = s.AddItem(ctx, NewItem{ID: reply.ID, SourceID: src.ID, Kind: KindReply, Fingerprints: []string{"S"}}, func(w io.Writer) error {
		called = true
		return nil
	})
	if !errors.Is(err, ErrExists) || called {
		t.Fatalf("duplicate item id: err = %v, write called = %v; want ErrExists before writing", err, called)
	}

	items, err := s.Items(ctx, src.ID)
	if err != nil || len(items) != 2 || items[0].ID != it.ID || items[1].ID != reply.ID {
		t.Fatalf("Items = %+v, %v", items, err)
	}
	if err := s.MarkExported(ctx, []string{it.ID, "ffffffffffffffffffffffffffffffff"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("MarkExported with an unknown id: err = %v", err)
	}
	if un, _ := s.UnexportedItems(ctx); len(un) != 2 {
		t.Fatalf("a failed MarkExported changed something: %+v", un)
	}
	if err := s.MarkExported(ctx, []string{it.ID}); err != nil {
		t.Fatal(err)
	}
	un, err := s.UnexportedItems(ctx)
	if err != nil || len(un) != 1 || un[0].ID != reply.ID {
		t.Fatalf("UnexportedItems = %+v, %v", un, err)
	}
	if got, _ := s.Item(ctx, it.ID); !got.Exported {
		t.Error("item not marked exported")
	}

	// Bad input is refused before anything is written.
	for name, n := range map[string]NewItem{
		"kind":         {SourceID: src.ID, Kind: "note", Fingerprints: []string{"F"}},
		"fingerprints": {SourceID: src.ID, Kind: KindMessage},
		"id":           {ID: "../../etc", SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}},
		"source":       {SourceID: "nope", Kind: KindMessage, Fingerprints: []string{"F"}},
	} {
		if _, err := s.AddItem(ctx, n, func(io.Writer) error { t.Errorf("%s: write called", name); return nil }); err == nil {
			t.Errorf("%s: AddItem accepted bad input", name)
		}
	}

	// Deleting removes row and file; the other item is untouched.
	if err := s.DeleteItem(ctx, it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Item(ctx, it.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted item: err = %v", err)
	}
	if _, _, err := s.OpenItem(ctx, it.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("open deleted item: err = %v", err)
	}
	if err := s.DeleteItem(ctx, it.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("delete twice: err = %v", err)
	}
	if n := len(blobFiles(t, dir)); n != 1 {
		t.Fatalf("%d blob files after deleting one of two items", n)
	}
	if b := readAll(t, s, reply.ID); string(b) != "reply" {
		t.Fatalf("remaining item = %q", b)
	}
}

func itemEqual(a, b Item) bool {
	return a.ID == b.ID && a.SourceID == b.SourceID && a.Kind == b.Kind && a.Size == b.Size &&
		a.SHA256 == b.SHA256 && a.Day == b.Day && slices.Equal(a.Fingerprints, b.Fingerprints) && a.Exported == b.Exported
}

func TestDeleteSourceRemovesBlobs(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	a, b := newSource(t, s, "a"), newSource(t, s, "b")
	addItem(t, s, a.ID, []byte("a1"))
	addItem(t, s, a.ID, []byte("a2"))
	keep := addItem(t, s, b.ID, []byte("b1"))

	if err := s.DeleteSourceItems(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if items, err := s.Items(ctx, a.ID); err != nil || len(items) != 0 {
		t.Fatalf("after DeleteSourceItems: %+v, %v", items, err)
	}
	if n := len(blobFiles(t, dir)); n != 1 {
		t.Fatalf("%d blob files, want 1", n)
	}
	addItem(t, s, a.ID, []byte("a3"))
	if err := s.DeleteSource(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Source(ctx, a.ID); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted source: err = %v", err)
	}
	if files := blobFiles(t, dir); len(files) != 1 {
		t.Fatalf("blob files after DeleteSource: %v", files)
	}
	if b := readAll(t, s, keep.ID); string(b) != "b1" {
		t.Fatalf("other source's item = %q", b)
	}
}

var errInterrupted = errors.New("interrupted")

// TestInterruptedWrite: a write that fails at any point, or a process that
// dies at any step, leaves no visible item and, after Open, no file.
func TestInterruptedWrite(t *testing.T) {
	t.Run("write fails midway", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir)
		src := newSource(t, s, "a")
		_, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, func(w io.Writer) error {
			w.Write(bytes.Repeat([]byte("x"), 1<<20))
			return errInterrupted
		})
		if !errors.Is(err, errInterrupted) {
			t.Fatalf("err = %v, want the write function's error", err)
		}
		checkEmpty(t, s, dir, src.ID)
	})
	t.Run("context cancelled during write", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir)
		src := newSource(t, s, "a")
		cctx, cancel := context.WithCancel(ctx)
		_, err := s.AddItem(cctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, func(w io.Writer) error {
			w.Write([]byte("partial"))
			cancel()
			return nil
		})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		checkEmpty(t, s, dir, src.ID)
	})
	t.Run("source deleted during write", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir)
		src := newSource(t, s, "a")
		_, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, func(w io.Writer) error {
			w.Write([]byte("data"))
			return s.DeleteSource(ctx, src.ID)
		})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v, want ErrNotFound", err)
		}
		if files := blobFiles(t, dir); len(files) != 0 {
			t.Fatalf("files left: %v", files)
		}
	})

	for _, step := range []string{"written", "synced", "renamed", "directory synced", "inserted"} {
		t.Run("fails after "+step, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir)
			src := newSource(t, s, "a")
			s.testHook = func(st string) error {
				if st == step {
					return errInterrupted
				}
				return nil
			}
			_, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, writeBytes([]byte("data")))
			if !errors.Is(err, errInterrupted) {
				t.Fatalf("err = %v, want the injected failure", err)
			}
			checkEmpty(t, s, dir, src.ID)
			s.testHook = nil
			addItem(t, s, src.ID, []byte("after"))
		})
	}

	// A crash leaves one of these states on disk; create each directly.
	crashes := map[string]func(t *testing.T, blobs string){
		// killed while writing, or before the rename
		"temporary file": func(t *testing.T, blobs string) {
			os.WriteFile(filepath.Join(blobs, tmpPrefix+newID()), []byte("partial"), 0o600)
		},
		// killed after the rename, before the row was inserted (or after a
		// row was deleted, before its file was)
		"renamed blob without a row": func(t *testing.T, blobs string) {
			os.WriteFile(filepath.Join(blobs, newID()), []byte("complete"), 0o600)
		},
	}
	for name, crash := range crashes {
		t.Run("crash: "+name, func(t *testing.T) {
			dir := t.TempDir()
			s := openTest(t, dir)
			src := newSource(t, s, "a")
			keep := addItem(t, s, src.ID, []byte("kept"))
			crash(t, filepath.Join(dir, "blobs"))
			if n := len(blobFiles(t, dir)); n != 2 {
				t.Fatalf("setup: %d files", n)
			}
			// Still open here: the file might be a write in progress.
			s2, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			s2.Close()
			if n := len(blobFiles(t, dir)); n != 2 {
				t.Fatal("Open removed a file while another Store had the directory open")
			}
			s.Close()

			s = openTest(t, dir)
			items, err := s.Items(ctx, src.ID)
			if err != nil || len(items) != 1 || items[0].ID != keep.ID {
				t.Fatalf("items after restart = %+v, %v", items, err)
			}
			if files := blobFiles(t, dir); len(files) != 1 {
				t.Fatalf("files after restart: %v", files)
			}
			if b := readAll(t, s, keep.ID); string(b) != "kept" {
				t.Fatalf("kept item = %q", b)
			}
		})
	}
}

func checkEmpty(t *testing.T, s *Store, dir, sourceID string) {
	t.Helper()
	if items, err := s.Items(ctx, sourceID); err != nil || len(items) != 0 {
		t.Fatalf("items = %+v, %v; want none", items, err)
	}
	if files := blobFiles(t, dir); len(files) != 0 {
		t.Fatalf("files left: %v", files)
	}
	if src, _ := s.Source(ctx, sourceID); src.ItemCount != 0 {
		t.Fatalf("item count %d", src.ItemCount)
	}
}

func TestDiskFull(t *testing.T) {
	t.Run("under the minimum before writing", func(t *testing.T) {
		dir := t.TempDir()
		s, err := Open(dir, Options{MinFreeBytes: 1 << 62})
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		src := newSource(t, s, "a")
		_, err = s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, func(io.Writer) error {
			t.Error("write called although the disk is full")
			return nil
		})
		if !errors.Is(err, ErrDiskFull) {
			t.Fatalf("err = %v, want ErrDiskFull", err)
		}
		checkEmpty(t, s, dir, src.ID)
	})
	t.Run("fills while writing", func(t *testing.T) {
		dir := t.TempDir()
		s := openTest(t, dir)
		s.minFree = 100 << 20
		written := 0
		s.freeSpace = func(string) (int64, error) { return int64(200<<20 - written), nil }
		src := newSource(t, s, "a")
		_, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, func(w io.Writer) error {
			chunk := make([]byte, 1<<20)
			for range 200 {
				if _, err := w.Write(chunk); err != nil {
					return errors.New("encrypter lost the cause")
				}
				written += len(chunk)
			}
			return nil
		})
		if !errors.Is(err, ErrDiskFull) {
			t.Fatalf("err = %v, want ErrDiskFull", err)
		}
		if written > 120<<20 {
			t.Errorf("wrote %d MiB into the reserve before stopping", written>>20)
		}
		checkEmpty(t, s, dir, src.ID)
	})
}

// xor is the test's stand-in for encryption: the store must only ever hold
// what it is given, so the plaintext canary must never appear on disk.
func xor(b []byte) []byte {
	out := make([]byte, len(b))
	for i := range b {
		out[i] = b[i] ^ 0x5a
	}
	return out
}

// dataFiles returns the contents of every file under dir.
func dataFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		files[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func assertAbsent(t *testing.T, dir, what string, needle []byte) {
	t.Helper()
	for p, b := range dataFiles(t, dir) {
		if bytes.Contains(b, needle) {
			t.Errorf("%s found in %s", what, p)
		}
	}
}

func assertPresent(t *testing.T, dir, what string, needle []byte) {
	t.Helper()
	for _, b := range dataFiles(t, dir) {
		if bytes.Contains(b, needle) {
			return
		}
	}
	t.Errorf("%s not found in the data directory: the check is blind", what)
}

func TestCanary(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	canary := []byte("CANARY-plaintext-4f1d9c-" + strings.Repeat("report text ", 400))
	sealed := xor(canary)

	// Sources whose identifying values are long enough to spill onto
	// overflow pages.
	doomed, err := s.CreateSource(ctx, "lookup-DOOMED-"+strings.Repeat("1", 40), bytes.Repeat([]byte("DOOMEDPUB"), 500), "doomed-designation-77")
	if err != nil {
		t.Fatal(err)
	}
	kept := newSource(t, s, "kept")
	keptItem := addItem(t, s, kept.ID, sealed)
	gone := addItem(t, s, doomed.ID, sealed)
	goneFile := addItem(t, s, kept.ID, xor([]byte("second-CANARY-"+strings.Repeat("z", 5000))))
	if err := s.SetStatus(ctx, kept.ID, StatusInReview, []byte("NOTE-CIPHERTEXT-v1")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetStatus(ctx, kept.ID, StatusInReview, []byte("NOTE-CIPHERTEXT-v2")); err != nil {
		t.Fatal(err)
	}

	assertAbsent(t, dir, "plaintext canary", []byte("CANARY"))
	assertPresent(t, dir, "sealed canary", sealed[:64])
	assertPresent(t, dir, "designation", []byte("doomed-designation-77"))

	if err := s.DeleteItem(ctx, goneFile.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSource(ctx, doomed.ID); err != nil {
		t.Fatal(err)
	}
	for _, probe := range []struct {
		what   string
		needle []byte
	}{
		{"deleted source's designation", []byte("doomed-designation-77")},
		{"deleted source's lookup id", []byte("lookup-DOOMED-")},
		{"deleted source's public key", []byte("DOOMEDPUBDOOMEDPUB")},
		{"deleted source's item id", []byte(gone.ID)},
		{"deleted item's id", []byte(goneFile.ID)},
		{"deleted item's digest", []byte(goneFile.SHA256)},
		{"deleted item's ciphertext", xor([]byte("second-CANARY-"))},
		{"overwritten status note", []byte("NOTE-CIPHERTEXT-v1")},
	} {
		assertAbsent(t, dir, probe.what, probe.needle)
	}
	// The kept source's item is still there (and still only sealed).
	assertPresent(t, dir, "kept item", []byte(keptItem.ID))
	if b := readAll(t, s, keptItem.ID); !bytes.Equal(xor(b), canary) {
		t.Fatal("kept item damaged")
	}
	s.Close()
	assertAbsent(t, dir, "plaintext canary", []byte("CANARY"))
	assertAbsent(t, dir, "deleted source's designation", []byte("doomed-designation-77"))
}

// TestConcurrentWriters: uploads arrive in parallel; none may fail with
// "database is locked".
func TestConcurrentWriters(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	const workers, each = 8, 6
	errc := make(chan error, workers)
	for w := range workers {
		go func() {
			src, err := s.CreateSource(ctx, fmt.Sprint("lookup-", w), []byte("pub"), fmt.Sprint("designation ", w))
			if err != nil {
				errc <- err
				return
			}
			for i := range each {
				it, err := s.AddItem(ctx, NewItem{SourceID: src.ID, Kind: KindMessage, Fingerprints: []string{"F"}}, writeBytes([]byte(fmt.Sprint(w, i))))
				if err != nil {
					errc <- err
					return
				}
				if err := s.TouchSource(ctx, src.ID); err != nil {
					errc <- err
					return
				}
				if _, err := s.Sources(ctx); err != nil {
					errc <- err
					return
				}
				if i%2 == 0 {
					if err := s.DeleteItem(ctx, it.ID); err != nil {
						errc <- err
						return
					}
				}
			}
			errc <- nil
		}()
	}
	for range workers {
		if err := <-errc; err != nil {
			t.Fatal(err)
		}
	}
	srcs, err := s.Sources(ctx)
	if err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, src := range srcs {
		total += src.ItemCount
	}
	if total != workers*each/2 || len(blobFiles(t, dir)) != total {
		t.Fatalf("%d items, %d files; want %d", total, len(blobFiles(t, dir)), workers*each/2)
	}
}

// TestOddDirectoryName: the data directory path goes into a file: URI;
// characters special in URIs must not send the database elsewhere.
func TestOddDirectoryName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "a b?c=d#e%20f")
	s := openTest(t, dir)
	newSource(t, s, "a")
	s.Close()
	if _, err := os.Stat(filepath.Join(dir, "candor.db")); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Fatalf("files created beside the data directory: %v", entries)
	}
	s = openTest(t, dir)
	if _, err := s.SourceByDesignation(ctx, "designation a"); err != nil {
		t.Fatal(err)
	}
}

// TestOpenItemDamaged: a blob whose size no longer matches its row is
// reported, not served as if whole.
func TestOpenItemDamaged(t *testing.T) {
	dir := t.TempDir()
	s := openTest(t, dir)
	it := addItem(t, s, newSource(t, s, "a").ID, []byte("complete ciphertext"))
	files := blobFiles(t, dir)
	if len(files) != 1 {
		t.Fatal(files)
	}
	if err := os.Truncate(filepath.Join(dir, "blobs", files[0]), 5); err != nil {
		t.Fatal(err)
	}
	if rc, _, err := s.OpenItem(ctx, it.ID); err == nil || errors.Is(err, ErrNotFound) {
		if rc != nil {
			rc.Close()
		}
		t.Fatalf("OpenItem of a truncated blob: err = %v, want a damage error", err)
	}
}
