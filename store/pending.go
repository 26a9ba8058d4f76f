package store

import (
	"context"
	"fmt"
)

// A reporter's submission (a report and its attachments, and on the first
// one the source itself) is stored pending: durable, but left out of every
// listing, until CommitItems makes all of it visible in one transaction.
// Whatever is still pending when Open holds the store alone belongs to a
// submission interrupted by a crash, never acknowledged, and is deleted.

// CreatePendingSource is CreateSource for a source that stays pending (not
// listed, not found by SourceByLookupID or SourceByDesignation) until
// CommitItems commits one of its items. Source finds it by id.
func (s *Store) CreatePendingSource(ctx context.Context, lookupID string, pub []byte, designation string) (*Source, error) {
	return s.createSource(ctx, lookupID, pub, designation, true)
}

// CommitItems makes pending items, and their sources if pending, visible,
// all or none: an unknown id gives ErrNotFound and changes nothing.
// Committing an item already committed is not an error.
func (s *Store) CommitItems(ctx context.Context, ids []string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: unable to commit items: %w", err)
	}
	defer tx.Rollback()
	for _, id := range ids {
		if err := rowsAffected(tx.ExecContext(ctx, "UPDATE items SET pending = 0 WHERE id = ?", id)); err != nil {
			return wrap("commit items", err)
		}
		if _, err := tx.ExecContext(ctx,
			"UPDATE sources SET pending = 0 WHERE pending = 1 AND id = (SELECT source_id FROM items WHERE id = ?)", id); err != nil {
			return wrap("commit items", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return wrap("commit items", diskErr(err))
	}
	return nil
}

// DeletePendingSource deletes a source that is still pending and has no
// item at all, pending or not; otherwise it changes nothing and returns
// ErrNotFound.
func (s *Store) DeletePendingSource(ctx context.Context, id string) error {
	return wrap("delete pending source", rowsAffected(s.db.ExecContext(ctx,
		"DELETE FROM sources WHERE id = ? AND pending = 1 AND NOT EXISTS (SELECT 1 FROM items WHERE source_id = ?)", id, id)))
}

// discardPending deletes the rows of pending items and pending sources
// (with any item of theirs), left by submissions a crash interrupted. It
// runs only when Open holds the store alone; the blob files, now
// unreferenced, are removed with the other orphans.
func (s *Store) discardPending() error {
	tx, err := s.db.Begin()
	if err != nil {
		return fmt.Errorf("store: unable to discard unfinished submissions: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.Exec("DELETE FROM items WHERE pending = 1 OR source_id IN (SELECT id FROM sources WHERE pending = 1)"); err != nil {
		return fmt.Errorf("store: unable to discard unfinished submissions: %w", err)
	}
	if _, err := tx.Exec("DELETE FROM sources WHERE pending = 1"); err != nil {
		return fmt.Errorf("store: unable to discard unfinished submissions: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: unable to discard unfinished submissions: %w", err)
	}
	return nil
}
