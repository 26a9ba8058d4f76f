package crypto

import (
	"bytes"
	"errors"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
)

// DecryptTo decrypts the OpenPGP message read from src (binary or
// ASCII-armored) with any of keys and streams the plaintext into dst.
//
// The integrity check of a SEIPD v1 message (its MDC) comes only at the
// end of the stream, so dst receives plaintext before it has been
// authenticated. The caller MUST therefore write dst to a temporary place
// and discard it unless DecryptTo returns nil; only a nil error means the
// whole plaintext is authentic.
//
// Any failure (no matching key, malformed packets, a message that is not
// encrypted or not integrity protected, a bad MDC or AEAD tag) is reported
// as ErrDecrypt, except an error from writing to dst, which is returned
// as is. Messages signed by anyone are accepted; signatures are ignored.
// Compressed messages (GnuPG compresses by default) are accepted.
func DecryptTo(dst io.Writer, src io.Reader, keys ...*PrivateKey) (err error) {
	defer func() {
		// go-crypto parses hostile input; never let a panic escape.
		if r := recover(); r != nil {
			err = ErrDecrypt
		}
	}()
	if len(keys) == 0 {
		return ErrDecrypt
	}
	var ring openpgp.EntityList
	for _, k := range keys {
		if k == nil || k.k == nil {
			return ErrDecrypt
		}
		ring = append(ring, k.k.e)
	}
	src, err = maybeDearmorMessage(src)
	if err != nil {
		return ErrDecrypt
	}
	if fastDecryptV1 {
		if err := decryptMessage(dst, src, ring); err != nil {
			var we *writeError
			if errors.As(err, &we) {
				return we.err
			}
			return ErrDecrypt
		}
		return nil
	}
	md, err := openpgp.ReadMessage(src, ring, nil, encryptConfig())
	if err != nil || !md.IsEncrypted || md.DecryptedWith.Entity == nil {
		return ErrDecrypt
	}
	if _, err := io.Copy(markingWriter{dst}, readerOnly{md.UnverifiedBody}); err != nil {
		var we *writeError
		if errors.As(err, &we) {
			return we.err
		}
		return ErrDecrypt
	}
	return nil
}

// readerOnly hides any WriterTo of the body, so io.Copy goes through Read
// and reaches the EOF that triggers the integrity check.
type readerOnly struct{ r io.Reader }

func (r readerOnly) Read(p []byte) (int, error) { return r.r.Read(p) }

// writeError marks an error from the destination writer.
type writeError struct{ err error }

func (e *writeError) Error() string { return e.err.Error() }

type markingWriter struct{ w io.Writer }

func (m markingWriter) Write(p []byte) (int, error) {
	n, err := m.w.Write(p)
	if err != nil {
		return n, &writeError{err}
	}
	return n, nil
}

// maybeDearmorMessage peeks at src and strips ASCII armor if present.
func maybeDearmorMessage(src io.Reader) (io.Reader, error) {
	var head [64]byte
	n, err := io.ReadFull(src, head[:])
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return nil, err
	}
	r := io.MultiReader(bytes.NewReader(head[:n]), src)
	if !bytes.HasPrefix(bytes.TrimLeft(head[:n], " \t\r\n"), []byte("-----BEGIN ")) {
		return r, nil
	}
	block, err := armor.Decode(r)
	if err != nil {
		return nil, err
	}
	if block.Type != armorMessage {
		return nil, errors.New("not a message")
	}
	return block.Body, nil
}

// DecryptBytes decrypts ciphertext with any of keys and returns the
// plaintext only if the whole message is authentic; see DecryptTo.
func DecryptBytes(ciphertext []byte, keys ...*PrivateKey) ([]byte, error) {
	var buf bytes.Buffer
	if err := DecryptTo(&buf, bytes.NewReader(ciphertext), keys...); err != nil {
		return nil, ErrDecrypt
	}
	return buf.Bytes(), nil
}
