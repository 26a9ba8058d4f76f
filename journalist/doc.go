// Package journalist is the reviewers' side of the Candor server: the web
// pages, the JSON API (/api/v1/, see docs/api.md) and the admin functions.
// It is served on its own address, which in production is an onion service
// with client authorization (one x25519 key per reviewer).
//
// Security properties:
//
//   - It never sees plaintext of a report: items are stored and handed out
//     as ciphertext only (single downloads, signed export bundles). The only
//     plaintext it handles is what a reviewer types online (a reply or a
//     status note), which is encrypted to the source key and every active
//     submission key before it is stored; the pages label this as less
//     private than an offline reply, and an admin setting turns it off.
//   - Login needs a password (Argon2id, m=64 MiB, t=4, p=2, PHC string) and
//     a TOTP code (RFC 6238, SHA-1, 6 digits, 30 s, ±1 step). A code at or
//     before the last accepted time step is refused (no reuse). Attempts are
//     throttled per account (5 a minute). An unknown user name gets the same
//     message as a wrong password, after the same Argon2id work.
//   - Sessions are server-side: the cookie or API token is 32 random bytes;
//     the database keeps only its SHA-256. A new session is made at every
//     login; sessions end after an idle time and an absolute lifetime, and
//     all of a reviewer's sessions end when their password is reset or they
//     are removed. Cookies are HttpOnly and SameSite=Strict; every request
//     passes http.CrossOriginProtection; the API takes only
//     "Authorization: Token …", never the cookie.
//   - Admin routes (pages and API) are registered only behind an admin
//     check that reads the role from the database on every request.
//   - Reply bundles are applied only after the whole bundle has verified
//     against a pinned review key and every entry has been checked (known
//     source, OpenPGP message, valid status): a bad bundle changes nothing.
//     Applying the same bundle twice changes nothing the second time.
//   - The audit log records who did what on which day, with counts; it
//     names no source, no designation and no content.
//   - Logs carry no client address, user agent or source content.
package journalist
