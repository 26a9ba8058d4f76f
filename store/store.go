package store

import (
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mattn/go-sqlite3"
)

// driverName is a go-sqlite3 driver whose connect hook sets the pragmas
// every connection needs. Pragmas such as foreign_keys and secure_delete
// are per connection: setting them once on the pool would leave every
// later connection without them.
const driverName = "candor_sqlite3"

// connPragmas run on every new connection, in order.
const connPragmas = `
PRAGMA foreign_keys = ON;
PRAGMA secure_delete = ON;
PRAGMA busy_timeout = 10000;
PRAGMA synchronous = FULL;
PRAGMA journal_size_limit = 0;
`

func init() {
	sql.Register(driverName, &sqlite3.SQLiteDriver{
		ConnectHook: func(c *sqlite3.SQLiteConn) error {
			if _, err := c.Exec(connPragmas, nil); err != nil {
				return fmt.Errorf("store: unable to set connection pragmas: %w", err)
			}
			return nil
		},
	})
}

// defaultMinFree is used when Options.MinFreeBytes is 0.
const defaultMinFree = 64 << 20

// tmpPrefix starts the name of a blob being written.
const tmpPrefix = ".tmp-"

// lockName is the lock file in the blobs directory (see Open).
const lockName = ".lock"

// Store is an opened data directory. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dir     string
	blobs   string
	minFree int64
	lock    *os.File

	// now is the clock; tests replace it.
	now func() time.Time
	// freeSpace reports the bytes available to us on the file system of
	// dir; tests replace it.
	freeSpace func(dir string) (int64, error)
	// poolMu guards pool (names of the pool files this process knows
	// of, see pool.go) and filling (a fill is running).
	poolMu  sync.Mutex
	pool    []string
	filling bool

	// testHook, when set, is called after each step of AddItem; an error
	// aborts the write there.
	testHook func(step string) error
}

// Open opens (creating if needed) the store in dir: dir/candor.db and
// dir/blobs. It runs pending migrations and, when no other process has
// the store open, removes leftovers of interrupted writes: temporary blob
// files and blob files no row refers to. It keeps the pool of empty blob
// files and tops it up.
func Open(dir string, o Options) (*Store, error) {
	if o.MinFreeBytes < 0 {
		return nil, errors.New("store: MinFreeBytes is negative")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("store: unable to resolve data directory: %w", err)
	}
	blobs := filepath.Join(abs, "blobs")
	if err := os.MkdirAll(blobs, 0o700); err != nil {
		return nil, fmt.Errorf("store: unable to create blob directory: %w", err)
	}
	s := &Store{
		dir:       abs,
		blobs:     blobs,
		minFree:   o.MinFreeBytes,
		now:       time.Now,
		freeSpace: freeSpace,
	}
	if s.minFree == 0 {
		s.minFree = defaultMinFree
	}

	// Every Store holds a shared lock on blobs/.lock while open. Only the
	// opener that can take it exclusively (nobody else has the store
	// open, so no write is in flight) may treat an unreferenced blob as
	// an orphan.
	lock, err := os.OpenFile(filepath.Join(blobs, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: unable to open lock file: %w", err)
	}
	s.lock = lock
	exclusive := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil

	dbPath := filepath.Join(abs, "candor.db")
	// SQLite gives the -wal and -shm files the mode of the database file.
	if f, err := os.OpenFile(dbPath, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: unable to create database: %w", err)
	} else {
		f.Close()
	}
	dsn := (&url.URL{Scheme: "file", Path: dbPath, RawQuery: "_journal_mode=WAL&_txlock=immediate"}).String()
	db, err := sql.Open(driverName, dsn)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("store: unable to open database: %w", err)
	}
	s.db = db
	if err := s.migrate(); err != nil {
		s.closeAll()
		return nil, err
	}
	if exclusive {
		if err := s.removeOrphans(); err != nil {
			s.closeAll()
			return nil, err
		}
	}
	// The pool of blob files (see the package doc) is filled while the
	// lock is still exclusive if it was; a failure here is not fatal:
	// AddItem falls back to creating its file.
	if err := s.scanPool(); err == nil {
		s.fillPool(poolLowWater)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_SH); err != nil {
		s.closeAll()
		return nil, fmt.Errorf("store: unable to lock data directory: %w", err)
	}
	return s, nil
}

func (s *Store) closeAll() error {
	err := s.db.Close()
	s.lock.Close() // releases the lock
	return err
}

// Close checkpoints the write-ahead log into the database (emptying the
// WAL file) and closes the store.
func (s *Store) Close() error {
	s.checkpoint()
	if err := s.closeAll(); err != nil {
		return fmt.Errorf("store: unable to close database: %w", err)
	}
	return nil
}

// checkpoint copies the WAL into the database and truncates the WAL file,
// so that pages of deleted rows do not linger there. It is best effort: a
// concurrent reader can keep it from completing; the next one catches up.
func (s *Store) checkpoint() {
	s.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
}

// Today is the current day in UTC, "YYYY-MM-DD": the only precision at
// which the store records when a source did something.
func (s *Store) Today() string {
	return s.now().UTC().Format(time.DateOnly)
}

func (s *Store) migrate() error {
	for {
		done, err := s.migrateOne()
		if err != nil {
			return err
		}
		if done {
			return nil
		}
	}
}

// migrateOne runs the next pending migration in its own transaction and
// reports whether none was pending.
func (s *Store) migrateOne() (done bool, err error) {
	tx, err := s.db.Begin() // BEGIN IMMEDIATE: concurrent openers wait
	if err != nil {
		return false, fmt.Errorf("store: unable to begin migration: %w", err)
	}
	defer tx.Rollback()
	var v int
	if err := tx.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		return false, fmt.Errorf("store: unable to read schema version: %w", err)
	}
	switch {
	case v > len(migrations):
		return false, fmt.Errorf("store: database schema version %d is newer than this program knows (%d)", v, len(migrations))
	case v == len(migrations):
		return true, nil
	}
	if _, err := tx.Exec(migrations[v]); err != nil {
		return false, fmt.Errorf("store: unable to run migration %d: %w", v+1, err)
	}
	if _, err := tx.Exec(fmt.Sprintf("PRAGMA user_version = %d", v+1)); err != nil {
		return false, fmt.Errorf("store: unable to record migration %d: %w", v+1, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("store: unable to commit migration %d: %w", v+1, err)
	}
	return false, nil
}

// removeOrphans deletes temporary files of interrupted writes and blob
// files that no item refers to (a crash between rename and insert, or
// between deleting a row and its file). Pool files are kept: they are
// empty and not yet anyone's.
func (s *Store) removeOrphans() error {
	if err := s.discardPending(); err != nil {
		return err
	}
	known := map[string]bool{}
	rows, err := s.db.Query("SELECT blob FROM items")
	if err != nil {
		return fmt.Errorf("store: unable to list blobs: %w", err)
	}
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return fmt.Errorf("store: unable to list blobs: %w", err)
		}
		known[b] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: unable to list blobs: %w", err)
	}
	entries, err := os.ReadDir(s.blobs)
	if err != nil {
		return fmt.Errorf("store: unable to read blob directory: %w", err)
	}
	removed := false
	for _, e := range entries {
		name := e.Name()
		if !strings.HasPrefix(name, tmpPrefix) && (!isID(name) || known[name]) {
			continue
		}
		if err := os.Remove(filepath.Join(s.blobs, name)); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("store: unable to remove unfinished blob: %w", err)
		}
		removed = true
	}
	if removed {
		return syncDir(s.blobs)
	}
	return nil
}

// newID returns 16 random bytes in lower-case hex.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("store: unable to read random bytes: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// isID reports whether s has the form of an id made by newID.
func isID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for _, c := range []byte(s) {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// isDay reports whether d is a "YYYY-MM-DD" day.
func isDay(d string) bool {
	_, err := time.Parse(time.DateOnly, d)
	return err == nil && len(d) == len(time.DateOnly)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("store: unable to open directory for sync: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("store: unable to sync directory: %w", err)
	}
	return nil
}

// isUnique reports whether err is a UNIQUE or PRIMARY KEY violation.
func isUnique(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey)
}

// isForeignKey reports whether err is a FOREIGN KEY violation.
func isForeignKey(err error) bool {
	var se sqlite3.Error
	return errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintForeignKey
}

// rowsAffected returns ErrNotFound when res changed no row.
func rowsAffected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// wrap formats "store: unable to <what>: err", keeping sentinel errors of
// this package unwrapped-equal through errors.Is.
func wrap(what string, err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrExists) || errors.Is(err, ErrDiskFull) {
		return err
	}
	return fmt.Errorf("store: unable to %s: %w", what, err)
}
