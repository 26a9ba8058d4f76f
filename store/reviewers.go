package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Reviewer is an account of the journalist interface. PasswordHash is an
// Argon2id PHC string and TOTPSecret the base32 TOTP secret; neither is ever
// shown after creation. ClientAuthPublic is the base32 x25519 public key
// tor uses for the reviewer's client authorization ("" if none).
type Reviewer struct {
	ID               int64
	Username         string
	PasswordHash     string
	TOTPSecret       string
	TOTPLastStep     int64 // the last accepted TOTP time step; codes at or before it are refused
	Admin            bool
	ClientAuthPublic string
	CreatedDay       string
}

const reviewerColumns = `id, username, password_hash, totp_secret, totp_last_step, is_admin, client_auth_public, created_day`

func scanReviewer(row interface{ Scan(...any) error }) (*Reviewer, error) {
	var r Reviewer
	if err := row.Scan(&r.ID, &r.Username, &r.PasswordHash, &r.TOTPSecret, &r.TOTPLastStep, &r.Admin, &r.ClientAuthPublic, &r.CreatedDay); err != nil {
		return nil, err
	}
	return &r, nil
}

// AddReviewer creates a reviewer; r.ID is ignored. A username already in use
// gives ErrExists.
func (s *Store) AddReviewer(ctx context.Context, r Reviewer) (*Reviewer, error) {
	res, err := s.db.ExecContext(ctx, `INSERT INTO reviewers (username, password_hash, totp_secret, totp_last_step, is_admin, client_auth_public, created_day)
		VALUES (?, ?, ?, 0, ?, ?, ?)`, r.Username, r.PasswordHash, r.TOTPSecret, r.Admin, r.ClientAuthPublic, r.CreatedDay)
	if err != nil {
		if isUnique(err) {
			return nil, fmt.Errorf("store: unable to add reviewer: %w", ErrExists)
		}
		return nil, fmt.Errorf("store: unable to add reviewer: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		return nil, fmt.Errorf("store: unable to add reviewer: %w", err)
	}
	return s.Reviewer(ctx, id)
}

// Reviewer returns the reviewer with the given id, or ErrNotFound.
func (s *Store) Reviewer(ctx context.Context, id int64) (*Reviewer, error) {
	r, err := scanReviewer(s.db.QueryRowContext(ctx, `SELECT `+reviewerColumns+` FROM reviewers WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to read reviewer: %w", err)
	}
	return r, nil
}

// ReviewerByName returns the reviewer with the given username, or ErrNotFound.
func (s *Store) ReviewerByName(ctx context.Context, username string) (*Reviewer, error) {
	r, err := scanReviewer(s.db.QueryRowContext(ctx, `SELECT `+reviewerColumns+` FROM reviewers WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: unable to read reviewer: %w", err)
	}
	return r, nil
}

// Reviewers lists every reviewer ordered by username.
func (s *Store) Reviewers(ctx context.Context) ([]Reviewer, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+reviewerColumns+` FROM reviewers ORDER BY username`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list reviewers: %w", err)
	}
	defer rows.Close()
	var out []Reviewer
	for rows.Next() {
		r, err := scanReviewer(rows)
		if err != nil {
			return nil, fmt.Errorf("store: unable to list reviewers: %w", err)
		}
		out = append(out, *r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to list reviewers: %w", err)
	}
	return out, nil
}

// ClientAuthKeys returns the base32 x25519 client-authorization public keys
// of every reviewer that has one, keyed by username. The tor side publishes
// exactly these; a removed reviewer's key is gone from the result.
func (s *Store) ClientAuthKeys(ctx context.Context) (map[string]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT username, client_auth_public FROM reviewers WHERE client_auth_public != ''`)
	if err != nil {
		return nil, fmt.Errorf("store: unable to list client-auth keys: %w", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var u, k string
		if err := rows.Scan(&u, &k); err != nil {
			return nil, fmt.Errorf("store: unable to list client-auth keys: %w", err)
		}
		out[u] = k
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to list client-auth keys: %w", err)
	}
	return out, nil
}

// DeleteReviewer removes a reviewer, their sessions and login attempts.
func (s *Store) DeleteReviewer(ctx context.Context, id int64) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: unable to delete reviewer: %w", err)
	}
	defer tx.Rollback()
	for _, q := range []string{
		`DELETE FROM reviewer_sessions WHERE reviewer_id = ?`,
		`DELETE FROM login_attempts WHERE reviewer_id = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, id); err != nil {
			return fmt.Errorf("store: unable to delete reviewer: %w", err)
		}
	}
	res, err := tx.ExecContext(ctx, `DELETE FROM reviewers WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("store: unable to delete reviewer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: unable to delete reviewer: %w", err)
	}
	return nil
}

// ResetReviewerCredentials replaces a reviewer's password hash and TOTP
// secret, forgets the last accepted TOTP step and ends all their sessions,
// in one transaction.
func (s *Store) ResetReviewerCredentials(ctx context.Context, id int64, passwordHash, totpSecret string) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: unable to reset reviewer: %w", err)
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE reviewers SET password_hash = ?, totp_secret = ?, totp_last_step = 0 WHERE id = ?`, passwordHash, totpSecret, id)
	if err != nil {
		return fmt.Errorf("store: unable to reset reviewer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM reviewer_sessions WHERE reviewer_id = ?`, id); err != nil {
		return fmt.Errorf("store: unable to reset reviewer: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: unable to reset reviewer: %w", err)
	}
	return nil
}

// SetReviewerClientAuth replaces a reviewer's client-authorization public key.
func (s *Store) SetReviewerClientAuth(ctx context.Context, id int64, public string) error {
	return s.updateReviewer(ctx, `UPDATE reviewers SET client_auth_public = ? WHERE id = ?`, public, id)
}

// SetReviewerAdmin grants or withdraws the admin role.
func (s *Store) SetReviewerAdmin(ctx context.Context, id int64, admin bool) error {
	return s.updateReviewer(ctx, `UPDATE reviewers SET is_admin = ? WHERE id = ?`, admin, id)
}

func (s *Store) updateReviewer(ctx context.Context, q string, v any, id int64) error {
	res, err := s.db.ExecContext(ctx, q, v, id)
	if err != nil {
		return fmt.Errorf("store: unable to update reviewer: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// AcceptTOTPStep records step as the reviewer's last accepted TOTP step if
// it is later than the one recorded, atomically. It reports false when the
// step is at or before the last accepted one (a reused code).
func (s *Store) AcceptTOTPStep(ctx context.Context, id, step int64) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE reviewers SET totp_last_step = ? WHERE id = ? AND totp_last_step < ?`, step, id, step)
	if err != nil {
		return false, fmt.Errorf("store: unable to record TOTP step: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: unable to record TOTP step: %w", err)
	}
	return n == 1, nil
}

// RecordLoginAttempt notes a login attempt on a reviewer account at a Unix
// time, and forgets attempts older than a day.
func (s *Store) RecordLoginAttempt(ctx context.Context, id, atUnix int64) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO login_attempts (reviewer_id, at_unix) VALUES (?, ?)`, id, atUnix); err != nil {
		return fmt.Errorf("store: unable to record login attempt: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM login_attempts WHERE at_unix < ?`, atUnix-86400); err != nil {
		return fmt.Errorf("store: unable to prune login attempts: %w", err)
	}
	return nil
}

// LoginAttemptsSince counts the login attempts on a reviewer account at or
// after a Unix time.
func (s *Store) LoginAttemptsSince(ctx context.Context, id, sinceUnix int64) (int, error) {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM login_attempts WHERE reviewer_id = ? AND at_unix >= ?`, id, sinceUnix).Scan(&n); err != nil {
		return 0, fmt.Errorf("store: unable to count login attempts: %w", err)
	}
	return n, nil
}
