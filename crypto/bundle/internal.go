package bundle

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"time"

	"github.com/candor-drop/candor/crypto"
)

// Domain-separation prefixes of the signed messages: an export signature can
// never be replayed as a reply signature or the other way round.
const (
	exportDomain = "candor-export-v1\x00"
	replyDomain  = "candor-reply-v1\x00"
)

const (
	manifestName = "manifest.json"
	sigName      = "manifest.sig"
	maxSigBytes  = 1024
)

// blobRef is one blob the manifest promises, in stream order.
type blobRef struct {
	name   string
	size   int64
	sha256 string
}

// zeroTime is written as every entry's modification time: bundles carry no
// exact times.
var zeroTime = time.Unix(0, 0).UTC()

// ValidID reports whether s is a bundle id: 32 lower-case hex digits.
func ValidID(s string) bool { return isHexID(s) }

func isHexID(s string) bool {
	if len(s) != 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

func isSHA256Hex(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == hexLower(s)
}

func hexLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

func checkBlob(what string, size int64, sum string) error {
	if size < 0 || size > MaxBlobBytes {
		return fmt.Errorf("%w: %s has size %d outside 0..%d", ErrFormat, what, size, int64(MaxBlobBytes))
	}
	if !isSHA256Hex(sum) {
		return fmt.Errorf("%w: %s has a malformed sha256", ErrFormat, what)
	}
	return nil
}

// writeBundle writes manifest, signature and blobs as a tar stream.
func writeBundle(w io.Writer, domain string, manifest []byte, key *crypto.SigningKey, blobs []blobRef, open func(blobRef) (io.ReadCloser, error)) error {
	msg := append([]byte(domain), manifest...)
	sig := base64.StdEncoding.EncodeToString(key.Sign(msg)) + "\n"
	tw := tar.NewWriter(w)
	if err := writeSmall(tw, manifestName, manifest); err != nil {
		return err
	}
	if err := writeSmall(tw, sigName, []byte(sig)); err != nil {
		return err
	}
	for _, b := range blobs {
		if err := writeBlob(tw, b, open); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return fmt.Errorf("bundle: unable to finish the archive: %w", err)
	}
	return nil
}

func writeSmall(tw *tar.Writer, name string, data []byte) error {
	hdr := &tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), ModTime: zeroTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("bundle: unable to write %s: %w", name, err)
	}
	if _, err := tw.Write(data); err != nil {
		return fmt.Errorf("bundle: unable to write %s: %w", name, err)
	}
	return nil
}

func writeBlob(tw *tar.Writer, b blobRef, open func(blobRef) (io.ReadCloser, error)) error {
	rc, err := open(b)
	if err != nil {
		return fmt.Errorf("bundle: unable to open %s: %w", b.name, err)
	}
	defer rc.Close()
	hdr := &tar.Header{Name: b.name, Mode: 0o600, Size: b.size, ModTime: zeroTime, Typeflag: tar.TypeReg, Format: tar.FormatPAX}
	if err := tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("bundle: unable to write %s: %w", b.name, err)
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tw, h), io.LimitReader(rc, b.size))
	if err != nil {
		return fmt.Errorf("bundle: unable to copy %s: %w", b.name, err)
	}
	extra, _ := rc.Read(make([]byte, 1))
	if n != b.size || extra != 0 || hex.EncodeToString(h.Sum(nil)) != b.sha256 {
		return fmt.Errorf("%w: %s does not match the size or sha256 given for it", ErrCorrupt, b.name)
	}
	return nil
}

// reader is the verified-stream half shared by both bundle kinds.
type reader struct {
	tr    *tar.Reader
	blobs []blobRef
	next  int
	cur   *blobReader
	err   error // sticky
}

// readHead reads and returns the manifest and signature entries.
func readHead(tr *tar.Reader) (manifest, sig []byte, err error) {
	manifest, err = readSmall(tr, manifestName, MaxManifestBytes)
	if err != nil {
		return nil, nil, err
	}
	sigText, err := readSmall(tr, sigName, maxSigBytes)
	if err != nil {
		return nil, nil, err
	}
	sig, err = base64.StdEncoding.DecodeString(string(bytes.TrimSpace(sigText)))
	if err != nil {
		return nil, nil, fmt.Errorf("%w: malformed %s", ErrSignature, sigName)
	}
	return manifest, sig, nil
}

func readSmall(tr *tar.Reader, name string, limit int64) ([]byte, error) {
	hdr, err := tr.Next()
	if err != nil {
		return nil, fmt.Errorf("%w: unable to read %s: %v", ErrFormat, name, err)
	}
	if hdr.Name != name || hdr.Typeflag != tar.TypeReg {
		return nil, fmt.Errorf("%w: expected %s, found %q", ErrFormat, name, hdr.Name)
	}
	if hdr.Size < 0 || hdr.Size > limit {
		return nil, fmt.Errorf("%w: %s is larger than %d bytes", ErrFormat, name, limit)
	}
	data, err := io.ReadAll(io.LimitReader(tr, hdr.Size))
	if err != nil || int64(len(data)) != hdr.Size {
		return nil, fmt.Errorf("%w: %s is truncated", ErrFormat, name)
	}
	return data, nil
}

func verify(key crypto.VerifyKey, domain string, manifest, sig []byte) error {
	if err := key.Verify(append([]byte(domain), manifest...), sig); err != nil {
		return fmt.Errorf("%w (%v)", ErrSignature, err)
	}
	return nil
}

// decodeStrict decodes a verified manifest, refusing unknown fields and trailing data.
func decodeStrict(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: manifest: %v", ErrFormat, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: manifest: trailing data", ErrFormat)
	}
	return nil
}

// nextBlob advances to the next promised blob. It first drains (and so
// verifies) the previous one if the caller did not read it to the end.
func (r *reader) nextBlob() (blobRef, io.Reader, error) {
	if r.err != nil {
		return blobRef{}, nil, r.err
	}
	if r.cur != nil {
		if _, err := io.Copy(io.Discard, r.cur); err != nil {
			r.err = err
			return blobRef{}, nil, err
		}
		r.cur = nil
	}
	if r.next == len(r.blobs) {
		_, err := r.tr.Next()
		if err == io.EOF {
			r.err = io.EOF
			return blobRef{}, nil, io.EOF
		}
		r.err = fmt.Errorf("%w: entries beyond those in the manifest", ErrCorrupt)
		return blobRef{}, nil, r.err
	}
	b := r.blobs[r.next]
	hdr, err := r.tr.Next()
	if err != nil {
		r.err = fmt.Errorf("%w: %s missing or truncated: %v", ErrCorrupt, b.name, err)
		return blobRef{}, nil, r.err
	}
	if hdr.Name != b.name || hdr.Typeflag != tar.TypeReg || hdr.Size != b.size {
		r.err = fmt.Errorf("%w: found %q where the manifest promises %s", ErrCorrupt, hdr.Name, b.name)
		return blobRef{}, nil, r.err
	}
	r.next++
	r.cur = &blobReader{r: io.LimitReader(r.tr, b.size), h: sha256.New(), want: b, parent: r}
	return b, r.cur, nil
}

// blobReader checks size and hash as the blob streams; instead of io.EOF it
// returns ErrCorrupt when they do not match the signed manifest.
type blobReader struct {
	r      io.Reader
	h      hash.Hash
	n      int64
	want   blobRef
	parent *reader
	done   error
}

func (b *blobReader) Read(p []byte) (int, error) {
	if b.done != nil {
		return 0, b.done
	}
	n, err := b.r.Read(p)
	b.h.Write(p[:n])
	b.n += int64(n)
	if err == io.EOF {
		if b.n != b.want.size || hex.EncodeToString(b.h.Sum(nil)) != b.want.sha256 {
			b.done = fmt.Errorf("%w: %s does not match its signed size or sha256", ErrCorrupt, b.want.name)
			b.parent.err = b.done
			return n, b.done
		}
		b.done = io.EOF
	} else if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			err = fmt.Errorf("%w: %s is truncated", ErrCorrupt, b.want.name)
		}
		b.done = err
		b.parent.err = err
	}
	return n, err
}
