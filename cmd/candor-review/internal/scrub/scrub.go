// Package scrub removes metadata from attachments before they leave the
// air-gapped workstation: EXIF, XMP, comments and text chunks of JPEG and
// PNG images, and the document information dictionary and XMP streams of
// PDF files.
//
// Security properties:
//
//   - It only parses bytes; it never renders, opens with another program or
//     executes a file. The format is decided from the content (magic bytes),
//     never from the name or the declared content type.
//   - Parsers are bounds-checked on every length read from the file and cap
//     the input they accept (MaxBytes); malformed input returns an error,
//     never panics (fuzzed: FuzzClean).
//   - JPEG and PNG are cleaned by an allowlist: only the segments and chunks
//     needed to display the image are kept, everything else (including
//     unknown or private ones and data after the end of the image) is
//     dropped and reported.
//   - PDF is cleaned in place without changing any byte offset: string
//     values of the document information dictionaries (every revision) and
//     the data of XMP metadata streams are overwritten with spaces. When the
//     information dictionary lives in a compressed object stream, which this
//     package cannot rewrite, Clean fails with ErrCannotClean rather than
//     return a copy that still holds the metadata.
//
// What it does not remove: metadata inside the image data itself, PDF
// annotations' author fields, fonts' names, embedded files, or anything in a
// format it does not know. The user guide (docs/review.md) says so.
//
// The well-kept Go PDF library, pdfcpu, was considered and not used: it
// links net/http and crypto/tls (certificate revocation checks, images by
// URL), which candor-review must not link.
package scrub

import (
	"bytes"
	"errors"
)

// MaxBytes caps the size of a file Clean accepts (it works in memory).
const MaxBytes = 1 << 30

var (
	// ErrUnsupported: the format is not one Clean knows.
	ErrUnsupported = errors.New("scrub: no metadata removal for this kind of file")
	// ErrMalformed: the file does not parse as the format it claims.
	ErrMalformed = errors.New("scrub: the file is malformed")
	// ErrCannotClean: the format is known but this file's metadata cannot be
	// removed safely.
	ErrCannotClean = errors.New("scrub: the metadata of this file cannot be removed safely")
	// ErrTooLarge: over MaxBytes.
	ErrTooLarge = errors.New("scrub: the file is too large to clean")
)

// Result says what Clean did.
type Result struct {
	Format  string   // "JPEG", "PNG", "PDF"
	Removed []string // one line per removed thing, for people
}

// Detect names the format of data from its first bytes, or "".
func Detect(data []byte) string {
	switch {
	case bytes.HasPrefix(data, []byte{0xff, 0xd8, 0xff}):
		return "JPEG"
	case bytes.HasPrefix(data, pngSig):
		return "PNG"
	case bytes.Contains(data[:min(len(data), 1024)], []byte("%PDF-")):
		return "PDF"
	}
	return ""
}

// Clean returns a copy of data with its metadata removed, and what was
// removed.
func Clean(data []byte) ([]byte, *Result, error) {
	if len(data) > MaxBytes {
		return nil, nil, ErrTooLarge
	}
	switch Detect(data) {
	case "JPEG":
		return cleanJPEG(data)
	case "PNG":
		return cleanPNG(data)
	case "PDF":
		return cleanPDF(data)
	}
	return nil, nil, ErrUnsupported
}
