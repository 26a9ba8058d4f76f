package workspace

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

const (
	dirMode  = 0o700
	fileMode = 0o600
)

// newID returns 32 random lower-case hex digits.
func newID() string {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("workspace: crypto/rand failed: " + err.Error())
	}
	return hex.EncodeToString(b[:])
}

// createExcl creates a new file with mode 0600, failing if it exists.
func createExcl(name string) (*os.File, error) {
	return os.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
}

// syncDir fsyncs a directory so a rename or link in it is durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// writeFileAtomic replaces name with data: temporary file, fsync, rename,
// fsync of the directory.
func writeFileAtomic(name string, data []byte) error {
	dir := filepath.Dir(name)
	tmp := filepath.Join(dir, ".tmp-"+newID())
	f, err := createExcl(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, name); err != nil {
		os.Remove(tmp)
		return err
	}
	return syncDir(dir)
}

// writeNewFile writes a file that must not exist yet: it is written under a
// temporary name in the same directory, fsynced, then hard-linked to name
// (which fails if name exists) and the temporary name removed. On any error
// nothing is left at name. fill writes the content.
func writeNewFile(name string, fill func(io.Writer) error) (err error) {
	dir := filepath.Dir(name)
	tmp := filepath.Join(dir, ".candor-review-tmp-"+newID())
	track(tmp)
	f, err := createExcl(tmp)
	if err != nil {
		untrack(tmp)
		return err
	}
	defer func() {
		if f != nil {
			f.Close()
		}
		os.Remove(tmp)
		untrack(tmp)
	}()
	if err := fill(f); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		f = nil
		return err
	}
	f = nil
	if err := placeNoReplace(tmp, name); err != nil {
		if errors.Is(err, os.ErrExist) {
			return fmt.Errorf("%s already exists: %w", filepath.Base(name), os.ErrExist)
		}
		return err
	}
	return syncDir(dir)
}

// linkFile is os.Link; tests replace it to play a file system without
// hard links.
var linkFile = os.Link

// placeNoReplace gives the file tmp the name name, failing with an error
// matching os.ErrExist if name exists. It hard-links (then tmp is removed
// by the caller); file systems without hard links, such as the FAT and
// exFAT of most USB sticks, get renameat2(RENAME_NOREPLACE), and where
// that is not supported either, a check followed by a rename.
func placeNoReplace(tmp, name string) error {
	err := linkFile(tmp, name)
	if err == nil || errors.Is(err, os.ErrExist) {
		return err
	}
	err = unix.Renameat2(unix.AT_FDCWD, tmp, unix.AT_FDCWD, name, unix.RENAME_NOREPLACE)
	if err == nil {
		return nil
	}
	if errors.Is(err, unix.EEXIST) {
		return os.ErrExist
	}
	if !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOSYS) && !errors.Is(err, unix.EPERM) && !errors.Is(err, unix.ENOTSUP) {
		return err
	}
	if _, err := os.Lstat(name); err == nil {
		return os.ErrExist
	}
	return os.Rename(tmp, name)
}

// readFileLimit reads a whole file, refusing one larger than limit.
func readFileLimit(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", filepath.Base(name), limit)
	}
	return data, nil
}

// pending holds the temporary files writeNewFile is writing, so that an
// interrupt does not leave one (hidden, holding part of an attachment or
// of a reply bundle) in an export directory.
var pending struct {
	sync.Mutex
	names map[string]bool
}

func track(name string) {
	pending.Lock()
	defer pending.Unlock()
	if pending.names == nil {
		pending.names = map[string]bool{}
	}
	pending.names[name] = true
}

func untrack(name string) {
	pending.Lock()
	defer pending.Unlock()
	delete(pending.names, name)
}

// RemoveTempsOnSignal makes an interrupt, hang-up or termination signal
// remove the temporary files being written and then call exit(130) (the
// caller passes os.Exit). stop undoes it. The terminal UI must not use it:
// it handles these signals itself.
func RemoveTempsOnSignal(exit func(int)) (stop func()) {
	c := make(chan os.Signal, 1)
	signal.Notify(c, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		select {
		case <-c:
			pending.Lock()
			for name := range pending.names {
				os.Remove(name)
			}
			exit(130)
			pending.Unlock() // reached only when exit returns (tests)
		case <-done:
		}
	}()
	return func() {
		signal.Stop(c)
		close(done)
	}
}
