package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"sync"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// This file is a faster writer for the message format GnuPG 2.2 and
// Sequoia read: PKESK v3 packets, then a Symmetrically Encrypted Integrity
// Protected Data packet version 1 (RFC 9580 section 5.13.1) with AES-256,
// holding one binary literal data packet and the modification detection
// code (MDC).
//
// go-crypto's own writer runs OpenPGP CFB one byte at a time through an
// interface and hashes SHA-1 after it on the same goroutine (~0.35× the
// speed of gpg). CFB encryption is serial by nature (each block's input is
// the previous ciphertext block), so the speed-up here comes from a tight
// block loop over crypto/aes (two 64-bit XORs per 16-byte block) and from
// hashing each 64 KiB chunk for the MDC on a second goroutine while it is
// being encrypted. The session key packets and the literal data packet are
// still written by go-crypto. The interop tests (gpg, sq, go-crypto) guard
// the format.
//
// Layout of the encrypted stream (standard CFB, all-zero IV, no resync):
//
//	prefix (16 random bytes) || prefix[14:16] || literal data packet ||
//	0xD3 0x14 || SHA-1(prefix || prefix[14:16] || literal data packet || 0xD3 0x14)

const (
	seipdChunk     = 64 << 10 // plaintext processed per step; partial body chunk size
	seipdChunkByte = 224 + 16 // partial body length octet for 2^16
	tagSEIPD       = 0xc0 | 18
	mdcTag         = 0xd3 // new-format MDC packet tag (19)
	mdcLen         = sha1.Size
)

// fastSEIPDv1 switches the writer in this file on; tests compare it with
// go-crypto's writer.
var fastSEIPDv1 = true

// encryptSEIPDv1 writes the key packets for keys and returns the literal
// data writer of a SEIPD v1 message to them, or ok=false if the recipients'
// preferences call for go-crypto's general path (a key that does not list
// AES-256, or recipients that all support SEIPD v2).
func encryptSEIPDv1(dst io.Writer, to []*openpgp.Entity) (w io.WriteCloser, ok bool, err error) {
	now := time.Now()
	keys := make([]openpgp.Key, 0, len(to))
	allV2 := true
	for _, e := range to {
		k, found := e.EncryptionKey(now)
		if !found {
			return nil, false, nil // let go-crypto produce its error
		}
		sig, _ := e.PrimarySelfSignature()
		if sig == nil || !hasByte(sig.PreferredSymmetric, uint8(packet.CipherAES256)) {
			return nil, false, nil
		}
		allV2 = allV2 && sig.SEIPDv2
		keys = append(keys, k)
	}
	if allV2 {
		return nil, false, nil
	}

	sessionKey := make([]byte, 32)
	defer clear(sessionKey)
	if _, err := rand.Read(sessionKey); err != nil {
		return nil, true, err
	}
	cfg := encryptConfig()
	for _, k := range keys {
		if err := packet.SerializeEncryptedKeyAEAD(dst, k.PublicKey, packet.CipherAES256, false, sessionKey, cfg); err != nil {
			return nil, true, err
		}
	}
	block, err := aes.NewCipher(sessionKey)
	if err != nil {
		return nil, true, err
	}
	sw, err := newSEIPDv1Writer(dst, block)
	if err != nil {
		return nil, true, err
	}
	lit, err := packet.SerializeLiteral(sw, true, "", 0)
	if err != nil {
		return nil, true, err
	}
	return lit, true, nil
}

func hasByte(b []byte, x byte) bool {
	for _, c := range b {
		if c == x {
			return true
		}
	}
	return false
}

// seipdV1Writer encrypts the plaintext written to it into a SEIPD v1
// packet on dst. Close appends the MDC and the last length header; it does
// not close dst.
type seipdV1Writer struct {
	dst   io.Writer
	block cipher.Block
	fb    [16]byte // CFB feedback register: the last ciphertext block
	h     hash.Hash
	in    []byte // plaintext not yet encrypted (< seipdChunk)
	ct    []byte // scratch for one chunk of ciphertext
	frame []byte // partial body chunk being filled: length octet + body
	err   error
	done  bool
}

func newSEIPDv1Writer(dst io.Writer, block cipher.Block) (*seipdV1Writer, error) {
	w := &seipdV1Writer{
		dst:   dst,
		block: block,
		h:     sha1.New(),
		in:    make([]byte, 0, seipdChunk),
		ct:    make([]byte, seipdChunk+2+mdcLen+16),
		frame: make([]byte, 1, 1+seipdChunk),
	}
	w.frame[0] = seipdChunkByte
	if _, err := dst.Write([]byte{tagSEIPD}); err != nil {
		return nil, err
	}
	w.appendBody([]byte{1}) // packet version
	var prefix [18]byte
	if _, err := rand.Read(prefix[:16]); err != nil {
		return nil, err
	}
	prefix[16], prefix[17] = prefix[14], prefix[15]
	w.in = append(w.in, prefix[:]...)
	return w, w.err
}

func (w *seipdV1Writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("crypto: write after close")
	}
	n := len(p)
	for len(p) > 0 && w.err == nil {
		m := copy(w.in[len(w.in):cap(w.in)], p)
		w.in = w.in[:len(w.in)+m]
		p = p[m:]
		if len(w.in) == seipdChunk {
			w.encryptChunk(w.in)
			w.in = w.in[:0]
		}
	}
	if w.err != nil {
		return 0, w.err
	}
	return n, nil
}

// encryptChunk hashes pt on a second goroutine while encrypting it, then
// frames the ciphertext. len(pt) is a multiple of 16.
func (w *seipdV1Writer) encryptChunk(pt []byte) {
	var wg sync.WaitGroup
	wg.Go(func() { w.h.Write(pt) })
	ct := w.ct[:len(pt)]
	w.cfb(ct, pt)
	wg.Wait()
	w.appendBody(ct)
}

// cfb encrypts src into dst in CFB mode, continuing from w.fb. Only the
// last call may have a length that is not a multiple of 16.
func (w *seipdV1Writer) cfb(dst, src []byte) {
	fb := w.fb[:]
	for len(src) >= 16 {
		w.block.Encrypt(fb, fb)
		x0 := binary.LittleEndian.Uint64(fb[0:8]) ^ binary.LittleEndian.Uint64(src[0:8])
		x1 := binary.LittleEndian.Uint64(fb[8:16]) ^ binary.LittleEndian.Uint64(src[8:16])
		binary.LittleEndian.PutUint64(fb[0:8], x0)
		binary.LittleEndian.PutUint64(fb[8:16], x1)
		binary.LittleEndian.PutUint64(dst[0:8], x0)
		binary.LittleEndian.PutUint64(dst[8:16], x1)
		src, dst = src[16:], dst[16:]
	}
	if len(src) > 0 {
		w.block.Encrypt(fb, fb)
		for i := range src {
			dst[i] = fb[i] ^ src[i]
		}
	}
}

// appendBody adds b to the packet body, writing full partial chunks.
func (w *seipdV1Writer) appendBody(b []byte) {
	for len(b) > 0 && w.err == nil {
		m := copy(w.frame[len(w.frame):cap(w.frame)], b)
		w.frame = w.frame[:len(w.frame)+m]
		b = b[m:]
		if len(w.frame) == cap(w.frame) {
			_, w.err = w.dst.Write(w.frame)
			w.frame = w.frame[:1]
		}
	}
}

// Close encrypts what is left with the MDC packet and writes the last
// chunk of the body with a definite length.
func (w *seipdV1Writer) Close() error {
	if w.done {
		return w.err
	}
	w.done = true
	if w.err != nil {
		return w.err
	}
	w.h.Write(w.in)
	w.in = append(w.in, mdcTag, mdcLen)
	w.h.Write(w.in[len(w.in)-2:])
	w.in = w.h.Sum(w.in)
	ct := w.ct[:len(w.in)]
	w.cfb(ct, w.in)
	w.appendBody(ct)
	if w.err != nil {
		return w.err
	}
	body := w.frame[1:]
	var hdr []byte
	switch n := len(body); {
	case n < 192:
		hdr = []byte{byte(n)}
	case n < 8384:
		n -= 192
		hdr = []byte{byte(n>>8) + 192, byte(n)}
	default:
		hdr = []byte{255, byte(n >> 24), byte(n >> 16), byte(n >> 8), byte(n)}
	}
	if _, err := w.dst.Write(hdr); err != nil {
		w.err = err
		return err
	}
	if _, err := w.dst.Write(body); err != nil {
		w.err = err
		return err
	}
	return nil
}
