package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

const sourceColumns = `s.id, s.lookup_id, s.public_key, s.designation, s.created_day,
	s.last_active_day, s.starred, s.status, s.status_note, s.status_day,
	count(i.id), coalesce(sum(i.exported = 0), 0)`

// sourceFrom joins a source to its committed items: pending ones are not
// counted.
const sourceFrom = ` FROM sources s LEFT JOIN items i ON i.source_id = s.id AND i.pending = 0 `

func scanSource(sc interface{ Scan(...any) error }) (*Source, error) {
	var src Source
	err := sc.Scan(&src.ID, &src.LookupID, &src.PublicKey, &src.Designation, &src.CreatedDay,
		&src.LastActiveDay, &src.Starred, &src.Status, &src.StatusNote, &src.StatusDay,
		&src.ItemCount, &src.NewCount)
	if err != nil {
		return nil, err
	}
	return &src, nil
}

// CreateSource records a new source, active and created today, status
// "received". A lookup id or designation already present gives ErrExists.
func (s *Store) CreateSource(ctx context.Context, lookupID string, pub []byte, designation string) (*Source, error) {
	return s.createSource(ctx, lookupID, pub, designation, false)
}

func (s *Store) createSource(ctx context.Context, lookupID string, pub []byte, designation string, pending bool) (*Source, error) {
	if lookupID == "" || len(pub) == 0 || designation == "" {
		return nil, errors.New("store: source needs a lookup id, a public key and a designation")
	}
	id := newID()
	day := s.Today()
	_, err := s.db.ExecContext(ctx, `INSERT INTO sources
		(id, lookup_id, public_key, designation, created_day, last_active_day, status, status_day, pending)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		id, lookupID, pub, designation, day, day, StatusReceived, day, pending)
	if isUnique(err) {
		return nil, ErrExists
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to create source: %w", err)
	}
	return s.Source(ctx, id)
}

func (s *Store) sourceWhere(ctx context.Context, where string, arg any) (*Source, error) {
	row := s.db.QueryRowContext(ctx, "SELECT "+sourceColumns+sourceFrom+"WHERE "+where+" GROUP BY s.id", arg)
	src, err := scanSource(row)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to read source: %w", err)
	}
	return src, nil
}

// SourceByLookupID returns the committed source with the given lookup id,
// or ErrNotFound (a pending source cannot be logged in to).
func (s *Store) SourceByLookupID(ctx context.Context, lookupID string) (*Source, error) {
	return s.sourceWhere(ctx, "s.pending = 0 AND s.lookup_id = ?", lookupID)
}

// Source returns the source with the given id, pending or not, or
// ErrNotFound.
func (s *Store) Source(ctx context.Context, id string) (*Source, error) {
	return s.sourceWhere(ctx, "s.id = ?", id)
}

// SourceByDesignation returns the committed source with the given
// designation, or ErrNotFound.
func (s *Store) SourceByDesignation(ctx context.Context, d string) (*Source, error) {
	return s.sourceWhere(ctx, "s.pending = 0 AND s.designation = ?", d)
}

// Sources lists every committed source, most recently active first.
func (s *Store) Sources(ctx context.Context) ([]Source, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+sourceColumns+sourceFrom+
		"WHERE s.pending = 0 GROUP BY s.id ORDER BY s.last_active_day DESC, s.designation")
	if err != nil {
		return nil, fmt.Errorf("store: unable to list sources: %w", err)
	}
	defer rows.Close()
	var list []Source
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("store: unable to list sources: %w", err)
		}
		list = append(list, *src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to list sources: %w", err)
	}
	return list, nil
}

// TouchSource records that the source was active today.
func (s *Store) TouchSource(ctx context.Context, id string) error {
	return wrap("record source activity", rowsAffected(s.db.ExecContext(ctx,
		"UPDATE sources SET last_active_day = ? WHERE id = ?", s.Today(), id)))
}

// SetStarred stars or unstars a source.
func (s *Store) SetStarred(ctx context.Context, id string, v bool) error {
	return wrap("star source", rowsAffected(s.db.ExecContext(ctx,
		"UPDATE sources SET starred = ? WHERE id = ?", v, id)))
}

// SetStatus sets a source's case status (one of Statuses) and note (nil
// or ciphertext to the source key), dated today.
func (s *Store) SetStatus(ctx context.Context, id, status string, note []byte) error {
	if !slices.Contains(Statuses, status) {
		return fmt.Errorf("store: unknown case status %q", status)
	}
	return wrap("set case status", rowsAffected(s.db.ExecContext(ctx,
		"UPDATE sources SET status = ?, status_note = ?, status_day = ? WHERE id = ?",
		status, note, s.Today(), id)))
}

// DeleteSource removes a source, its items and their blob files. The
// write-ahead log is then checkpointed so the deleted rows' pages (zeroed
// by secure_delete) do not linger in it.
func (s *Store) DeleteSource(ctx context.Context, id string) error {
	blobs, err := s.deleteItemsWhere(ctx, id, true)
	if err != nil {
		return wrap("delete source", err)
	}
	return s.removeBlobs(blobs)
}

// DeleteSourceItems removes every item of a source and their blob files,
// keeping the source.
func (s *Store) DeleteSourceItems(ctx context.Context, id string) error {
	blobs, err := s.deleteItemsWhere(ctx, id, false)
	if err != nil {
		return wrap("delete items", err)
	}
	return s.removeBlobs(blobs)
}

// deleteItemsWhere deletes the rows of a source's items (and the source
// row itself if alsoSource) in one transaction and returns the blob names
// to remove.
func (s *Store) deleteItemsWhere(ctx context.Context, id string, alsoSource bool) ([]string, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var one int
	if err := tx.QueryRowContext(ctx, "SELECT 1 FROM sources WHERE id = ?", id).Scan(&one); errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	} else if err != nil {
		return nil, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT blob FROM items WHERE source_id = ?", id)
	if err != nil {
		return nil, err
	}
	var blobs []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, err
		}
		blobs = append(blobs, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM items WHERE source_id = ?", id); err != nil {
		return nil, err
	}
	if alsoSource {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sources WHERE id = ?", id); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return blobs, nil
}

// removeBlobs removes blob files whose rows are gone, syncs the
// directory and checkpoints the WAL. A file that cannot be removed is
// reported; Open removes it later as an orphan.
func (s *Store) removeBlobs(blobs []string) error {
	var errs []error
	for _, b := range blobs {
		if err := os.Remove(filepath.Join(s.blobs, b)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	if len(blobs) > 0 {
		if err := syncDir(s.blobs); err != nil {
			errs = append(errs, err)
		}
	}
	s.checkpoint()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("store: unable to remove blob files: %w", err)
	}
	return nil
}

// SourcesInactiveSince returns the ids of committed sources last active
// before day ("YYYY-MM-DD"), for retention.
func (s *Store) SourcesInactiveSince(ctx context.Context, day string) ([]string, error) {
	if !isDay(day) {
		return nil, fmt.Errorf("store: %q is not a YYYY-MM-DD day", day)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id FROM sources WHERE pending = 0 AND last_active_day < ? ORDER BY last_active_day, id", day)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list inactive sources: %w", err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: unable to list inactive sources: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to list inactive sources: %w", err)
	}
	return ids, nil
}
