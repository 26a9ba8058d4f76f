package store

import (
	"context"
	"fmt"
)

// AuditEntry is one line of the audit log: who did what, on which day.
// Callers must keep source content (and designations) out of Detail: the
// log names reviewers and counts, never what a source said or who they are.
type AuditEntry struct {
	Seq    int64
	Day    string
	Actor  string
	Action string
	Detail string
}

// AddAudit appends an entry to the audit log. e.Seq is ignored.
func (s *Store) AddAudit(ctx context.Context, e AuditEntry) error {
	if _, err := s.db.ExecContext(ctx, `INSERT INTO audit_log (day, actor, action, detail) VALUES (?, ?, ?, ?)`, e.Day, e.Actor, e.Action, e.Detail); err != nil {
		return fmt.Errorf("store: unable to write audit log: %w", err)
	}
	return nil
}

// AuditLog returns up to limit entries, newest first (limit <= 0: all).
func (s *Store) AuditLog(ctx context.Context, limit int) ([]AuditEntry, error) {
	if limit <= 0 {
		limit = -1
	}
	rows, err := s.db.QueryContext(ctx, `SELECT seq, day, actor, action, detail FROM audit_log ORDER BY seq DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: unable to read audit log: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		if err := rows.Scan(&e.Seq, &e.Day, &e.Actor, &e.Action, &e.Detail); err != nil {
			return nil, fmt.Errorf("store: unable to read audit log: %w", err)
		}
		out = append(out, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: unable to read audit log: %w", err)
	}
	return out, nil
}
