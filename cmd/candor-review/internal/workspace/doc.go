// Package workspace is candor-review's storage and logic: the home directory
// with the submission key, the reply-signing key and the pinned server key;
// importing export bundles into the workspace; listing, showing and
// exporting what was imported; queueing replies and status changes and
// writing them out as one signed reply bundle. The command-line subcommands
// and the terminal UI are both thin layers over this package.
//
// Layout of a home directory (every directory 0700, every file 0600):
//
//	submission-key.asc       the submission private key, armored, passphrase-protected
//	submission-key.pub.asc   its public half (pubkey, encrypting replies)
//	reply-signing-key.pgp    the app's Ed25519 reply-signing key, an OpenPGP
//	                         message to the submission key (so it is as
//	                         well protected as the submission key itself)
//	reply-signing-key.pub    its public half, "candor-ed25519:…"
//	server-key.pub           the pinned bundle-signing key of the server
//	workspace/index.json     sources, items, imported bundle ids
//	workspace/items/ID       decrypted plaintext of item ID
//	outbox/queue.json        queued replies and status changes
//	outbox/ID.pgp            their ciphertext
//
// Security properties:
//
//   - Nothing is read from an export bundle before its manifest signature
//     has verified against the pinned server key. Items are decrypted into a
//     staging directory and accepted only when crypto.DecryptTo returned nil;
//     the whole import is committed only after the bundle reader has
//     verified every entry (io.EOF); a bundle that fails any check changes
//     nothing.
//   - Item and source ids used as file names are checked to be 32 hex
//     digits; names that come from inside an attachment are reduced to a
//     safe base name (SafeFileName) and files are created with O_EXCL, so
//     hostile input cannot write outside the workspace or the export
//     directory, nor overwrite anything.
//   - The plaintext of reports lives in the workspace, on the air-gapped
//     machine only, with mode 0600; the private key stays
//     passphrase-protected at rest.
//   - Output files (exports, reply bundles) are written to a temporary name,
//     fsynced and then linked into place, so a failed command leaves no
//     partial file.
//   - It links no network code (see the deps test of candor-review).
package workspace
