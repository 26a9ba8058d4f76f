// Package store keeps Candor's server-side state: one SQLite database
// (metadata, ciphertext-derived values) and one blob file per item.
//
// Security properties:
//
//   - It never imports Candor's crypto package and never sees plaintext:
//     callers hand it ciphertext streams and derived identifiers only.
//   - There is no column for a client address, user agent, codename,
//     original file name or exact time of a source's activity; source-side
//     dates are kept at day precision (UTC, YYYY-MM-DD).
//   - Every connection runs with foreign_keys=ON and secure_delete=ON, in
//     WAL mode; deleted rows are overwritten in the database file.
//   - A blob is written to a temporary name in the data directory, fsynced,
//     renamed, the directory fsynced, and only then is the row inserted. An
//     interrupted write leaves no visible item; Open removes the orphans.
//   - Deleting an item removes its row and its file.
package store
