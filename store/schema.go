package store

// migrations is append-only: never edit an entry that has shipped; add a new
// one. Each runs in its own transaction; PRAGMA user_version records how many
// have run.
//
// No table has a column for a client address, user agent, codename, original
// file name or an exact time of source activity. Reviewer sessions and
// throttling keep Unix times: they describe reviewers, not sources.
var migrations = []string{
	// 1: the initial schema.
	`
CREATE TABLE settings (
	key   TEXT PRIMARY KEY,
	value BLOB NOT NULL
);
CREATE TABLE submission_keys (
	fingerprint TEXT PRIMARY KEY,
	public_key  BLOB NOT NULL,
	active      INTEGER NOT NULL DEFAULT 1,
	added_day   TEXT NOT NULL
);
CREATE TABLE sources (
	id              TEXT PRIMARY KEY,
	lookup_id       TEXT NOT NULL UNIQUE,
	public_key      BLOB NOT NULL,
	designation     TEXT NOT NULL UNIQUE,
	created_day     TEXT NOT NULL,
	last_active_day TEXT NOT NULL,
	starred         INTEGER NOT NULL DEFAULT 0,
	status          TEXT NOT NULL DEFAULT 'received',
	status_note     BLOB,
	status_day      TEXT NOT NULL
);
CREATE TABLE items (
	seq          INTEGER PRIMARY KEY AUTOINCREMENT,
	id           TEXT NOT NULL UNIQUE,
	source_id    TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
	kind         TEXT NOT NULL CHECK (kind IN ('message', 'file', 'reply')),
	blob         TEXT NOT NULL UNIQUE,
	size         INTEGER NOT NULL,
	sha256       TEXT NOT NULL,
	day          TEXT NOT NULL,
	fingerprints TEXT NOT NULL,
	exported     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX items_source ON items(source_id);
CREATE TABLE reviewers (
	id                 INTEGER PRIMARY KEY,
	username           TEXT NOT NULL UNIQUE,
	password_hash      TEXT NOT NULL,
	totp_secret        TEXT NOT NULL,
	totp_last_step     INTEGER NOT NULL DEFAULT 0,
	is_admin           INTEGER NOT NULL DEFAULT 0,
	client_auth_public TEXT NOT NULL DEFAULT '',
	created_day        TEXT NOT NULL
);
CREATE TABLE login_attempts (
	reviewer_id INTEGER NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
	at_unix     INTEGER NOT NULL
);
CREATE INDEX login_attempts_reviewer ON login_attempts(reviewer_id);
CREATE TABLE reviewer_sessions (
	id_hash     TEXT PRIMARY KEY,
	reviewer_id INTEGER NOT NULL REFERENCES reviewers(id) ON DELETE CASCADE,
	kind        TEXT NOT NULL CHECK (kind IN ('web', 'api')),
	created_unix INTEGER NOT NULL,
	last_seen_unix INTEGER NOT NULL
);
CREATE TABLE review_keys (
	fingerprint TEXT PRIMARY KEY,
	public_key  TEXT NOT NULL,
	added_day   TEXT NOT NULL
);
CREATE TABLE applied_bundles (
	sha256 TEXT PRIMARY KEY,
	day    TEXT NOT NULL
);
CREATE TABLE audit_log (
	seq    INTEGER PRIMARY KEY AUTOINCREMENT,
	day    TEXT NOT NULL,
	actor  TEXT NOT NULL,
	action TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
`,
	// 2: pending items and sources, of a reporter's submission not yet
	// acknowledged; listings leave them out and Open discards them.
	`
ALTER TABLE items ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sources ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;
`,
}
