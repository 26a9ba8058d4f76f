package store

import (
	"bufio"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"syscall"
)

// freeCheckEvery is how many bytes AddItem writes between two checks of
// the free disk space.
const freeCheckEvery = 8 << 20

// blobWriter hashes and counts what goes to the temporary blob file,
// refuses to eat into the free-space reserve, and remembers the first
// error so a caller that drops it cannot make AddItem store a short blob.
type blobWriter struct {
	s         *Store
	f         *os.File
	h         hash.Hash
	n         int64
	nextCheck int64
	err       error
}

func (w *blobWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.n+int64(len(p)) >= w.nextCheck {
		if err := w.s.checkFree(); err != nil {
			w.err = err
			return 0, err
		}
		w.nextCheck = w.n + int64(len(p)) + freeCheckEvery
	}
	n, err := w.f.Write(p)
	w.h.Write(p[:n])
	w.n += int64(n)
	if err != nil {
		w.err = diskErr(err)
		return n, w.err
	}
	return n, nil
}

// checkFree returns ErrDiskFull when the data directory's file system has
// less than the configured minimum free.
func (s *Store) checkFree() error {
	free, err := s.freeSpace(s.blobs)
	if err != nil {
		return err
	}
	if free < s.minFree {
		return ErrDiskFull
	}
	return nil
}

// diskErr maps a full disk or quota to ErrDiskFull.
func diskErr(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return ErrDiskFull
	}
	return err
}

// AddItem stores a new item. write is called once with a writer to the
// item's blob and must write the complete ciphertext; the item exists only
// if AddItem returns nil. The blob goes to a temporary file, is fsynced,
// renamed, the directory fsynced, and only then is the row inserted; on
// any failure nothing is left behind.
//
// Errors: ErrNotFound for an unknown source, ErrExists for an id already
// present (checked before anything is written), ErrDiskFull when free
// space is under Options.MinFreeBytes or the disk fills, else the error of
// write, wrapped.
func (s *Store) AddItem(ctx context.Context, n NewItem, write func(io.Writer) error) (item *Item, err error) {
	switch n.Kind {
	case KindMessage, KindFile, KindReply:
	default:
		return nil, fmt.Errorf("store: unknown item kind %q", n.Kind)
	}
	id := n.ID
	if id == "" {
		id = newID()
	} else if !isID(id) {
		return nil, fmt.Errorf("store: item id %q is not 32 lower-case hex digits", id)
	}
	fprs, err := json.Marshal(n.Fingerprints)
	if err != nil {
		return nil, fmt.Errorf("store: unable to encode fingerprints: %w", err)
	}
	if len(n.Fingerprints) == 0 {
		return nil, errors.New("store: an item needs the fingerprints it was encrypted to")
	}
	var one int
	err = s.db.QueryRowContext(ctx, "SELECT 1 FROM items WHERE id = ?", id).Scan(&one)
	if err == nil {
		return nil, ErrExists
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: unable to add item: %w", err)
	}
	err = s.db.QueryRowContext(ctx, "SELECT 1 FROM sources WHERE id = ?", n.SourceID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, fmt.Errorf("store: unable to add item: %w", err)
	}
	if err := s.checkFree(); err != nil {
		return nil, err
	}

	tmp := filepath.Join(s.blobs, tmpPrefix+newID())
	f, err := s.takeBlobFile(tmp)
	if err != nil {
		return nil, err
	}
	// The pool is topped up after this write, never during it, so the
	// next blob's inode was made before its submission arrived.
	defer s.refillPool()
	final := ""
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
			if final != "" {
				os.Remove(filepath.Join(s.blobs, final))
			}
		}
	}()

	bw := &blobWriter{s: s, f: f, h: sha256.New(), nextCheck: freeCheckEvery}
	buf := bufio.NewWriterSize(bw, 256<<10)
	werr := write(buf)
	if werr == nil {
		werr = buf.Flush()
	}
	if bw.err != nil {
		// The writer failed; whatever write made of it, that is the cause.
		return nil, wrap("write blob", bw.err)
	}
	if werr != nil {
		return nil, fmt.Errorf("store: unable to write item: %w", werr)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to add item: %w", err)
	}
	if err := s.step("written"); err != nil {
		return nil, err
	}
	// The file's times say the day only (its change time says more until
	// the next BlurTimestamps pass).
	stamp := midnight(s.now())
	if err := os.Chtimes(tmp, stamp, stamp); err != nil {
		return nil, fmt.Errorf("store: unable to set blob file times: %w", err)
	}
	if err := f.Sync(); err != nil {
		return nil, wrap("sync blob file", diskErr(err))
	}
	if err := f.Close(); err != nil {
		return nil, wrap("close blob file", diskErr(err))
	}
	if err := s.step("synced"); err != nil {
		return nil, err
	}
	final = newID()
	if err := os.Rename(tmp, filepath.Join(s.blobs, final)); err != nil {
		final = ""
		return nil, fmt.Errorf("store: unable to rename blob file: %w", err)
	}
	if err := s.step("renamed"); err != nil {
		return nil, err
	}
	if err := syncDir(s.blobs); err != nil {
		return nil, err
	}
	if err := s.step("directory synced"); err != nil {
		return nil, err
	}
	it := &Item{
		ID:           id,
		SourceID:     n.SourceID,
		Kind:         n.Kind,
		Size:         bw.n,
		SHA256:       hex.EncodeToString(bw.h.Sum(nil)),
		Day:          s.Today(),
		Fingerprints: append([]string(nil), n.Fingerprints...),
	}
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: unable to add item: %w", err)
	}
	defer tx.Rollback()
	_, err = tx.ExecContext(ctx, `INSERT INTO items
		(id, source_id, kind, blob, size, sha256, day, fingerprints, pending)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		it.ID, it.SourceID, string(it.Kind), final, it.Size, it.SHA256, it.Day, string(fprs), n.Pending)
	if isUnique(err) {
		return nil, ErrExists
	}
	if err != nil {
		return nil, wrap("add item", diskErr(fkErr(err)))
	}
	if err := s.step("inserted"); err != nil {
		return nil, err
	}
	if err = tx.Commit(); err != nil {
		return nil, wrap("add item", diskErr(err))
	}
	return it, nil
}

// step calls the test hook, if any, after a step of AddItem.
func (s *Store) step(name string) error {
	if s.testHook == nil {
		return nil
	}
	return s.testHook(name)
}

// fkErr maps a foreign key failure (the source was deleted while the blob
// was being written) to ErrNotFound.
func fkErr(err error) error {
	if isForeignKey(err) {
		return ErrNotFound
	}
	return err
}

const itemColumns = "id, source_id, kind, size, sha256, day, fingerprints, exported"

func scanItem(sc interface{ Scan(...any) error }, extra ...any) (*Item, error) {
	var it Item
	var kind, fprs string
	dst := append([]any{&it.ID, &it.SourceID, &kind, &it.Size, &it.SHA256, &it.Day, &fprs, &it.Exported}, extra...)
	if err := sc.Scan(dst...); err != nil {
		return nil, err
	}
	it.Kind = ItemKind(kind)
	if err := json.Unmarshal([]byte(fprs), &it.Fingerprints); err != nil {
		return nil, fmt.Errorf("store: unable to decode fingerprints: %w", err)
	}
	return &it, nil
}

// Item returns the item's metadata, or ErrNotFound.
func (s *Store) Item(ctx context.Context, id string) (*Item, error) {
	it, err := scanItem(s.db.QueryRowContext(ctx, "SELECT "+itemColumns+" FROM items WHERE id = ?", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to read item: %w", err)
	}
	return it, nil
}

// OpenItem opens the item's blob for reading. The caller closes it. An
// item deleted while open stays readable through the open file.
func (s *Store) OpenItem(ctx context.Context, id string) (io.ReadCloser, *Item, error) {
	var blob string
	it, err := scanItem(s.db.QueryRowContext(ctx, "SELECT "+itemColumns+", blob FROM items WHERE id = ?", id), &blob)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: unable to read item: %w", err)
	}
	f, err := os.Open(filepath.Join(s.blobs, blob))
	if errors.Is(err, os.ErrNotExist) {
		// Deleted between the query and the open.
		return nil, nil, ErrNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("store: unable to open item: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, fmt.Errorf("store: unable to open item: %w", err)
	}
	if fi.Size() != it.Size {
		f.Close()
		return nil, nil, fmt.Errorf("store: item %s is damaged: blob is %d bytes, expected %d", id, fi.Size(), it.Size)
	}
	return f, it, nil
}

func (s *Store) items(ctx context.Context, where string, args ...any) ([]Item, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+itemColumns+" FROM items "+where+" ORDER BY seq", args...)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list items: %w", err)
	}
	defer rows.Close()
	var list []Item
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			return nil, fmt.Errorf("store: unable to list items: %w", err)
		}
		list = append(list, *it)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to list items: %w", err)
	}
	return list, nil
}

// Items lists a source's committed (not pending) items in the order they
// were stored; ErrNotFound if the source does not exist.
func (s *Store) Items(ctx context.Context, sourceID string) ([]Item, error) {
	if _, err := s.Source(ctx, sourceID); err != nil {
		return nil, err
	}
	return s.items(ctx, "WHERE source_id = ? AND pending = 0", sourceID)
}

// UnexportedItems lists every committed item not yet marked exported,
// oldest first.
func (s *Store) UnexportedItems(ctx context.Context) ([]Item, error) {
	return s.items(ctx, "WHERE exported = 0 AND pending = 0")
}

// MarkExported marks items exported, all or none: an unknown id gives
// ErrNotFound and changes nothing.
func (s *Store) MarkExported(ctx context.Context, ids []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: unable to mark items exported: %w", err)
	}
	defer tx.Rollback()
	for _, id := range ids {
		if err := rowsAffected(tx.ExecContext(ctx, "UPDATE items SET exported = 1 WHERE id = ?", id)); err != nil {
			return wrap("mark items exported", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: unable to mark items exported: %w", err)
	}
	return nil
}

// DeleteItem removes an item's row, then its blob file, then checkpoints
// the WAL.
func (s *Store) DeleteItem(ctx context.Context, id string) error {
	var blob string
	err := s.db.QueryRowContext(ctx, "DELETE FROM items WHERE id = ? RETURNING blob", id).Scan(&blob)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("store: unable to delete item: %w", err)
	}
	return s.removeBlobs([]string{blob})
}
