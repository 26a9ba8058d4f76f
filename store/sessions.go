package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// ReviewerSession is a server-side session of the journalist interface. The
// database holds only a SHA-256 of the random session id (IDHash), so a copy
// of the database does not hand out live sessions.
type ReviewerSession struct {
	IDHash       string
	ReviewerID   int64
	Kind         string // "web" or "api"
	CreatedUnix  int64
	LastSeenUnix int64
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, sess ReviewerSession) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO reviewer_sessions (id_hash, reviewer_id, kind, created_unix, last_seen_unix) VALUES (?, ?, ?, ?, ?)`,
		sess.IDHash, sess.ReviewerID, sess.Kind, sess.CreatedUnix, sess.LastSeenUnix)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: unable to create session: %w", ErrExists)
		}
		return fmt.Errorf("store: unable to create session: %w", err)
	}
	return nil
}

// CreateSessionIfCurrent stores a new session only if the reviewer still
// exists with this password hash and TOTP secret, in one statement. A
// login checked against credentials that were reset meanwhile (or by a
// reviewer removed meanwhile) gets ErrNotFound and no session; a reset
// after the insert ends the session with the others.
func (s *Store) CreateSessionIfCurrent(ctx context.Context, sess ReviewerSession, passwordHash, totpSecret string) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO reviewer_sessions (id_hash, reviewer_id, kind, created_unix, last_seen_unix)
		SELECT ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM reviewers WHERE id = ? AND password_hash = ? AND totp_secret = ?)`,
		sess.IDHash, sess.ReviewerID, sess.Kind, sess.CreatedUnix, sess.LastSeenUnix, sess.ReviewerID, passwordHash, totpSecret)
	if err != nil {
		if isUnique(err) {
			return fmt.Errorf("store: unable to create session: %w", ErrExists)
		}
		return fmt.Errorf("store: unable to create session: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("store: unable to create session: %w", err)
	} else if n == 0 {
		return ErrNotFound
	}
	return nil
}

// Session returns the session with the given id hash, or ErrNotFound.
func (s *Store) Session(ctx context.Context, idHash string) (*ReviewerSession, error) {
	var sess ReviewerSession
	err := s.db.QueryRowContext(ctx, `SELECT id_hash, reviewer_id, kind, created_unix, last_seen_unix FROM reviewer_sessions WHERE id_hash = ?`, idHash).
		Scan(&sess.IDHash, &sess.ReviewerID, &sess.Kind, &sess.CreatedUnix, &sess.LastSeenUnix)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to read session: %w", err)
	}
	return &sess, nil
}

// TouchSession sets a session's last-seen time.
func (s *Store) TouchSession(ctx context.Context, idHash string, nowUnix int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE reviewer_sessions SET last_seen_unix = ? WHERE id_hash = ?`, nowUnix, idHash); err != nil {
		return fmt.Errorf("store: unable to touch session: %w", err)
	}
	return nil
}

// DeleteSession ends one session. Ending a session that does not exist is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM reviewer_sessions WHERE id_hash = ?`, idHash); err != nil {
		return fmt.Errorf("store: unable to delete session: %w", err)
	}
	return nil
}

// DeleteReviewerSessions ends every session of a reviewer.
func (s *Store) DeleteReviewerSessions(ctx context.Context, reviewerID int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM reviewer_sessions WHERE reviewer_id = ?`, reviewerID); err != nil {
		return fmt.Errorf("store: unable to delete sessions: %w", err)
	}
	return nil
}

// DeleteStaleSessions removes sessions of a kind created before
// createdBefore or last seen before seenBefore (Unix times).
func (s *Store) DeleteStaleSessions(ctx context.Context, kind string, createdBefore, seenBefore int64) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM reviewer_sessions WHERE kind = ? AND (created_unix < ? OR last_seen_unix < ?)`, kind, createdBefore, seenBefore); err != nil {
		return fmt.Errorf("store: unable to delete stale sessions: %w", err)
	}
	return nil
}
