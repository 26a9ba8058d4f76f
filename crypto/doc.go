// Package crypto holds every cryptographic operation Candor performs: OpenPGP
// submission keys, streaming encryption and decryption, codenames, the source
// identity derived from a codename, Ed25519 signatures over bundle manifests,
// and designations.
//
// Security properties:
//
//   - It does no file, network or terminal I/O; callers pass streams.
//   - Encryption is streaming and constant-memory whatever the input size.
//   - Decryption never hands out plaintext as good before the integrity check
//     has passed: DecryptTo writes to a caller-supplied destination that the
//     caller must discard unless DecryptTo returns nil (with SEIPD v1 the MDC
//     is only checked at the end of the stream). Every decryption or
//     integrity failure is reported as the single error ErrDecrypt.
//   - Codenames are normalised and their length capped before any KDF work
//     (see NormalizeCodename), so hostile input cannot make the server spend
//     Argon2id time on garbage.
//   - Secret values are zeroed on a best-effort basis only: Go's garbage
//     collector may copy memory, so no promise is made.
//   - Key types print only their public half and cannot be compared with ==.
//   - Messages are never compressed and carry no file name or time in the
//     clear; messages to GnuPG-profile keys are SEIPD v1 with AES-256 (read by
//     GnuPG 2.2 and Sequoia), written and read by this package's own CFB/MDC
//     code (seipd_v1.go, seipd_v1_read.go; go-crypto still parses every
//     packet), whose format the gpg and sq interop tests pin and whose reader
//     is checked against go-crypto's by tests and a differential fuzz target.
//   - The source key is a function of the codename and the instance pepper
//     alone; DeriveSource fails instead of returning a key if key generation
//     ever stops being deterministic.
//   - Imported keys keep only their own self-signatures (third-party
//     certifications would reveal who vouches for the unit), and a key file
//     asking for more than 2 GiB of Argon2 passphrase hashing is refused
//     before any hashing.
package crypto
