package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// DeleteSourceIfInactiveSince removes a source, its items and their blob
// files, like DeleteSource, but only if the source was still last active
// before day ("YYYY-MM-DD") when it is deleted: the check and the delete
// run in one write transaction, so a source that logged in or submitted
// after a retention job listed it (SourcesInactiveSince) is kept, with
// what it submitted. It reports whether it deleted the source; a source
// that is gone or active again is not an error.
func (s *Store) DeleteSourceIfInactiveSince(ctx context.Context, id, day string) (deleted bool, err error) {
	if !isDay(day) {
		return false, fmt.Errorf("store: %q is not a YYYY-MM-DD day", day)
	}
	blobs, deleted, err := s.deleteInactiveSource(ctx, id, day)
	if err != nil {
		return false, wrap("delete inactive source", err)
	}
	if !deleted {
		return false, nil
	}
	return true, s.removeBlobs(blobs)
}

// deleteInactiveSource deletes the rows of a source inactive since before
// day and of its items in one transaction (BEGIN IMMEDIATE: the write lock
// is held from the check to the commit) and returns the blob names to
// remove.
func (s *Store) deleteInactiveSource(ctx context.Context, id, day string) ([]string, bool, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false, err
	}
	defer tx.Rollback()
	var one int
	err = tx.QueryRowContext(ctx, "SELECT 1 FROM sources WHERE id = ? AND last_active_day < ?", id, day).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT blob FROM items WHERE source_id = ?", id)
	if err != nil {
		return nil, false, err
	}
	var blobs []string
	for rows.Next() {
		var b string
		if err := rows.Scan(&b); err != nil {
			rows.Close()
			return nil, false, err
		}
		blobs = append(blobs, b)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, false, err
	}
	if _, err := tx.ExecContext(ctx, "DELETE FROM items WHERE source_id = ?", id); err != nil {
		return nil, false, err
	}
	// The condition again, in the statement that deletes: the transaction
	// already excludes other writers, this keeps the rule in one place.
	res, err := tx.ExecContext(ctx, "DELETE FROM sources WHERE id = ? AND last_active_day < ?", id, day)
	if err != nil {
		return nil, false, err
	}
	if n, err := res.RowsAffected(); err != nil {
		return nil, false, err
	} else if n != 1 {
		return nil, false, nil
	}
	if err := tx.Commit(); err != nil {
		return nil, false, err
	}
	return blobs, true, nil
}
