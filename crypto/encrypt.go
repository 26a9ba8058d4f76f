package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"errors"
	"fmt"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// encryptConfig is the configuration of every message Candor writes:
// AES-256, no compression (compression leaks plaintext length patterns and
// is a decompression-bomb risk for readers), no signature, no file name or
// time in the literal data packet. SEIPD v2 (AES-256-GCM) is used only
// when every recipient advertises it; otherwise SEIPD v1 with the MDC.
func encryptConfig() *packet.Config {
	return &packet.Config{
		DefaultCipher:          packet.CipherAES256,
		DefaultHash:            stdcrypto.SHA256,
		DefaultCompressionAlgo: packet.CompressionNone,
		AEADConfig:             &packet.AEADConfig{DefaultMode: packet.AEADModeGCM},
	}
}

// Encrypt returns a writer that encrypts what is written to it, as one
// binary OpenPGP message to every key in to, into dst. The caller must
// Close the writer to flush the last chunk and the integrity tag; Close does
// not close dst. A second Close returns the first one's result and writes
// nothing; Write after Close fails. Memory use does not depend on the
// message size.
//
// Each recipient gets one public-key encrypted session key packet (for its
// newest valid encryption subkey). Messages to ProfileGnuPG keys (or to any
// mix that includes a key without SEIPD v2) use SEIPD v1 with AES-256 and
// read with GnuPG 2.2 and Sequoia; messages to RFC 9580 keys only use
// SEIPD v2 with AES-256-GCM.
func Encrypt(dst io.Writer, to ...*PublicKey) (io.WriteCloser, error) {
	if len(to) == 0 {
		return nil, errors.New("crypto: unable to encrypt: no recipient")
	}
	el := make([]*openpgp.Entity, 0, len(to))
	for _, k := range to {
		if k == nil || k.k == nil {
			return nil, errors.New("crypto: unable to encrypt: nil recipient")
		}
		el = append(el, k.k.e)
	}
	if fastSEIPDv1 {
		w, ok, err := encryptSEIPDv1(dst, el)
		if err != nil {
			return nil, fmt.Errorf("crypto: unable to encrypt: %w", err)
		}
		if ok {
			return &closeOnce{w: w}, nil
		}
	}
	w, err := openpgp.Encrypt(dst, el, nil, &openpgp.FileHints{IsBinary: true}, encryptConfig())
	if err != nil {
		return nil, fmt.Errorf("crypto: unable to encrypt: %w", err)
	}
	return &closeOnce{w: w}, nil
}

// closeOnce makes Close idempotent and Write after Close an error.
// go-crypto's writers append another (empty) chunk to dst on a second
// Close, which corrupts the message, and silently accept writes after it.
type closeOnce struct {
	w      io.WriteCloser
	closed bool
	err    error
}

func (c *closeOnce) Write(p []byte) (int, error) {
	if c.closed {
		return 0, errors.New("crypto: write after close")
	}
	return c.w.Write(p)
}

func (c *closeOnce) Close() error {
	if !c.closed {
		c.closed = true
		c.err = c.w.Close()
	}
	return c.err
}

// EncryptBytes encrypts plaintext to the keys in to; see Encrypt.
func EncryptBytes(plaintext []byte, to ...*PublicKey) ([]byte, error) {
	var buf bytes.Buffer
	w, err := Encrypt(&buf, to...)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plaintext); err != nil {
		return nil, fmt.Errorf("crypto: unable to encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("crypto: unable to encrypt: %w", err)
	}
	return buf.Bytes(), nil
}
