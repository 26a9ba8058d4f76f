package store

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// poolPrefix starts the name of a pre-created, empty blob file waiting in
// the blob directory to become a blob (see the package doc).
const poolPrefix = ".pool-"

// poolBatch is how many pool files are created at once; poolLowWater is
// the count under which AddItem tops the pool up after it has written.
const (
	poolBatch    = 32
	poolLowWater = 8
)

// midnight is the start, in UTC, of the day t falls on.
func midnight(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// scanPool replaces the in-memory list of pool files by what the blob
// directory holds (another process sharing the directory may have taken
// or made some).
func (s *Store) scanPool() error {
	entries, err := os.ReadDir(s.blobs)
	if err != nil {
		return fmt.Errorf("store: unable to read blob directory: %w", err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), poolPrefix) && e.Type().IsRegular() {
			names = append(names, e.Name())
		}
	}
	s.poolMu.Lock()
	s.pool = names
	s.poolMu.Unlock()
	return nil
}

// fillPool creates a batch of poolBatch pool files when the pool holds
// fewer than min, and fsyncs the directory. Only one fill runs at a
// time; a caller that finds one running returns at once.
func (s *Store) fillPool(min int) error {
	s.poolMu.Lock()
	if s.filling || len(s.pool) >= min {
		s.poolMu.Unlock()
		return nil
	}
	s.filling = true
	s.poolMu.Unlock()
	defer func() {
		s.poolMu.Lock()
		s.filling = false
		s.poolMu.Unlock()
	}()

	stamp := midnight(s.now())
	var made []string
	var err error
	for range poolBatch {
		name := poolPrefix + newID()
		p := filepath.Join(s.blobs, name)
		var f *os.File
		f, err = os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			err = diskErr(err)
			break
		}
		f.Close()
		os.Chtimes(p, stamp, stamp) // best effort: BlurTimestamps redoes it
		made = append(made, name)
	}
	if len(made) > 0 {
		if serr := syncDir(s.blobs); serr != nil && err == nil {
			err = serr
		}
		s.poolMu.Lock()
		s.pool = append(s.pool, made...)
		s.poolMu.Unlock()
	}
	if err != nil {
		return wrap("create pool files", err)
	}
	return nil
}

// popPool removes a name from the in-memory pool list; "" if it is empty.
func (s *Store) popPool() string {
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	n := len(s.pool)
	if n == 0 {
		return ""
	}
	name := s.pool[n-1]
	s.pool = s.pool[:n-1]
	return name
}

// poolLen is the size of the in-memory pool list.
func (s *Store) poolLen() int {
	s.poolMu.Lock()
	defer s.poolMu.Unlock()
	return len(s.pool)
}

// takeBlobFile returns tmp opened for writing, empty. It is a pool file
// renamed to tmp: no inode is created at the time of the write. When the
// pool is empty it is refilled first; when that fails too, tmp is created
// (O_EXCL): correctness comes before hiding the time of the write.
func (s *Store) takeBlobFile(tmp string) (*os.File, error) {
	for attempt := 0; ; attempt++ {
		name := s.popPool()
		if name == "" {
			if attempt > 0 {
				break
			}
			// Empty here: another process may have made some, or may
			// have taken ours. Look, then make a batch if still empty.
			if s.scanPool() == nil && s.poolLen() == 0 {
				s.fillPool(1)
			}
			continue
		}
		err := os.Rename(filepath.Join(s.blobs, name), tmp)
		if errors.Is(err, os.ErrNotExist) {
			// Taken by another process sharing the directory.
			attempt = -1
			continue
		}
		if err != nil {
			break
		}
		f, err := os.OpenFile(tmp, os.O_WRONLY, 0)
		if err != nil {
			os.Remove(tmp)
			break
		}
		if fi, err := f.Stat(); err != nil || !fi.Mode().IsRegular() || fi.Size() != 0 {
			// Not one of ours as made; never write into it.
			f.Close()
			os.Remove(tmp)
			continue
		}
		return f, nil
	}
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, wrap("create blob file", diskErr(err))
	}
	return f, nil
}

// BlurTimestamps tops the pool of blob files up to a full batch, then
// sets the access and modification times of every file and directory the
// store owns in the data directory (the directory itself, candor.db and
// its -wal and -shm files, blobs/ and everything in it) to midnight UTC
// of today. Changing them also sets each inode's change time to now, so
// after a pass no timestamp says more than "today" and "before this
// pass". Files that vanish during the pass are skipped. Run it
// periodically (candor serve does, every 10 minutes).
func (s *Store) BlurTimestamps() error {
	var errs []error
	if err := s.scanPool(); err != nil {
		errs = append(errs, err)
	} else if err := s.fillPool(poolBatch); err != nil {
		errs = append(errs, err)
	}
	stamp := midnight(s.now())
	paths := []string{}
	entries, err := os.ReadDir(s.blobs)
	if err != nil {
		errs = append(errs, fmt.Errorf("store: unable to read blob directory: %w", err))
	}
	for _, e := range entries {
		paths = append(paths, filepath.Join(s.blobs, e.Name()))
	}
	for _, name := range []string{"candor.db", "candor.db-wal", "candor.db-shm", "candor.db-journal"} {
		paths = append(paths, filepath.Join(s.dir, name))
	}
	// Directories last: touching their entries does not change them, but
	// the pool fill above did.
	paths = append(paths, s.blobs, s.dir)
	for _, p := range paths {
		if err := os.Chtimes(p, stamp, stamp); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("store: unable to set file times: %w", err))
		}
	}
	return errors.Join(errs...)
}

// refillPool tops the pool up by a batch when it has fallen under
// poolLowWater. Best effort: a failure leaves AddItem its fallback.
func (s *Store) refillPool() {
	if s.poolLen() < poolLowWater {
		s.fillPool(poolLowWater)
	}
}
