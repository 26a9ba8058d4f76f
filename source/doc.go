// Package source is the reporter-facing web interface of Candor: the landing
// page, codename generation, the report form with attachments, returning
// with a codename to read replies and the case status, and logout.
//
// Security properties:
//
//   - Every page works with JavaScript disabled and no page contains a
//     <script> element. Every response carries a strict Content-Security-Policy
//     (default-src 'none'; styles and images from self only; frame-ancestors
//     'none'; form-action 'self'), Referrer-Policy: no-referrer,
//     X-Content-Type-Options: nosniff, Cache-Control: no-store and a
//     Permissions-Policy that denies devices; no Server header is sent. Only
//     GET, HEAD and POST are served; cross-origin POSTs are refused
//     (http.CrossOriginProtection). A browser that sends no Fetch Metadata
//     to a plain-HTTP onion (anything but Tor Browser) sends "Origin: null"
//     with our no-referrer policy; such a POST is accepted only if it
//     carries a constant SameSite=Strict cookie, which no other site can
//     make the browser send.
//   - Sessions are a random 256-bit id in an HttpOnly, SameSite=Strict cookie.
//     Their state lives in this process's memory only, never on disk: it holds
//     the identity derived from the codename, never the codename itself. A
//     session ends after an idle timeout and is replaced by a new id at login.
//   - The codename is capped in length and normalised before any KDF work,
//     and concurrent KDF computations are bounded by a semaphore with a
//     bounded queue, so a flood of logins cannot exhaust memory or starve
//     page serving.
//   - Uploads are read with r.MultipartReader under http.MaxBytesReader and
//     streamed straight into OpenPGP encryption and the store's blob file: no
//     FormValue/ParseMultipartForm on the upload route, no plaintext
//     temporary file. The original file name travels inside the encryption
//     only. A submission is all or nothing: if any part fails (too large,
//     malformed, disk full, connection lost) every item already stored for
//     it is deleted again, and the reporter is told that nothing was saved.
//     A submission is acknowledged only after the store has durably recorded
//     every item.
//   - When an onion host name is configured, a request for any other Host,
//     or one carrying a Tor2web header, gets a warning page instead of the
//     interface; the decision is made on the server.
//   - Logs never carry a client address, user agent, codename, file name or
//     any plaintext; pages never show internal error text.
//
// The plaintext formats of reports and attachments are described in
// docs/report-format.md.
//
// The package never imports Candor's journalist or tor packages: the
// store it needs is declared as the narrow interface Store, and the
// submission keys are fetched through a function because they may change
// while the server runs.
package source
