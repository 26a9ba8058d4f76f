package crypto

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"hash"
	"io"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// This file is the reading side of seipd_v1.go. go-crypto still parses
// everything that comes from outside: the packet framing, the session key
// packets and, after decryption, the inner packets (literal data,
// compression, signatures). Only the SEIPD v1 decryption with AES (OpenPGP
// CFB) and the MDC check are done here: CFB decryption needs E(previous
// ciphertext block) only, so the block calls are independent and the CPU
// overlaps them, where go-crypto runs its CFB one byte at a time.

// fastDecryptV1 switches the reader in this file on; tests compare it with
// go-crypto's reader.
var fastDecryptV1 = true

var errIntegrity = errors.New("crypto: integrity check failed")

// decryptMessage decrypts the binary message src with the keys in ring
// into dst, and returns nil only when the whole message is authentic. Any
// error but a write error from dst must be turned into ErrDecrypt.
func decryptMessage(dst io.Writer, src io.Reader, ring openpgp.EntityList) error {
	cfg := encryptConfig()
	packets := packet.NewReader(src)
	var eks []*packet.EncryptedKey
	var edp packet.EncryptedDataPacket
	var seipd *packet.SymmetricallyEncrypted
findData:
	for {
		p, err := packets.Next()
		if err != nil {
			return err
		}
		switch p := p.(type) {
		case *packet.EncryptedKey:
			eks = append(eks, p)
		case *packet.SymmetricallyEncrypted:
			if !p.IntegrityProtected {
				return errIntegrity // no MDC: refused, as go-crypto does by default
			}
			edp, seipd = p, p
			break findData
		case *packet.AEADEncrypted:
			edp = p
			break findData
		case *packet.Compressed, *packet.LiteralData, *packet.OnePassSignature:
			return errors.New("message is not encrypted")
		}
	}

	// The first session key any of our keys decrypts. Like go-crypto, no
	// further key is tried once the data has started to be read.
	var cipherFunc packet.CipherFunction
	var sessionKey []byte
	for _, ek := range eks {
		keys := ring.DecryptionKeys()
		if ek.KeyId != 0 && !(ek.Version == 6 && ek.KeyVersion == 0) {
			keys = ring.KeysById(ek.KeyId)
		}
		for _, k := range keys {
			if k.PrivateKey == nil || k.PrivateKey.Encrypted || k.PrivateKey.Dummy() {
				continue
			}
			if ek.Decrypt(k.PrivateKey, cfg) == nil {
				cipherFunc, sessionKey = ek.CipherFunc, ek.Key
				break
			}
		}
		if sessionKey != nil {
			break
		}
	}
	if sessionKey == nil {
		return errors.New("no key")
	}
	defer clear(sessionKey)

	var plain io.Reader
	var finish func() error
	if seipd != nil && seipd.Version == 1 && isAES(cipherFunc) && len(sessionKey) == cipherFunc.KeySize() {
		block, err := aes.NewCipher(sessionKey)
		if err != nil {
			return err
		}
		r := newSEIPDv1Reader(seipd.Contents, block)
		plain, finish = r, r.verify
	} else {
		rc, err := edp.Decrypt(cipherFunc, sessionKey)
		if err != nil {
			return err
		}
		plain, finish = rc, rc.Close
	}

	md, err := openpgp.ReadMessage(plain, nil, nil, cfg)
	if err != nil {
		return err
	}
	if _, err := io.Copy(markingWriter{dst}, readerOnly{md.UnverifiedBody}); err != nil {
		return err
	}
	// Whatever follows the literal data (signatures, padding) up to the
	// integrity tag is read and authenticated too.
	if _, err := io.Copy(io.Discard, plain); err != nil {
		return err
	}
	return finish()
}

func isAES(c packet.CipherFunction) bool {
	return c == packet.CipherAES128 || c == packet.CipherAES192 || c == packet.CipherAES256
}

const seipdReadChunk = 64 << 10

// seipdV1Reader decrypts the body of a SEIPD v1 packet (prefix, data,
// MDC packet) and returns the data. It holds back the last 22 bytes read,
// which at the end are the MDC packet; it returns io.EOF only after the
// MDC has been checked, and errIntegrity (for ever) if it does not match.
type seipdV1Reader struct {
	src      io.Reader
	block    cipher.Block
	fb       [16]byte // previous ciphertext block
	h        hash.Hash
	ct       []byte // ciphertext read but not decrypted (a partial block)
	pt       []byte // plaintext decrypted, not yet returned; the last 22 bytes are held back
	off      int    // start of pt's unread part
	prefix   int    // prefix bytes still to be skipped (hashed, not returned)
	eof      bool   // src is exhausted and everything decrypted
	err      error
	verified bool
}

func newSEIPDv1Reader(src io.Reader, block cipher.Block) *seipdV1Reader {
	return &seipdV1Reader{
		src:    src,
		block:  block,
		h:      sha1.New(),
		ct:     make([]byte, 0, seipdReadChunk+16),
		pt:     make([]byte, 0, 2*seipdReadChunk+mdcTrailer),
		prefix: 18,
	}
}

const mdcTrailer = 2 + mdcLen

func (r *seipdV1Reader) Read(p []byte) (int, error) {
	for {
		if r.err != nil {
			return 0, r.err
		}
		avail := len(r.pt) - r.off - mdcTrailer
		if r.prefix > 0 && avail > 0 {
			skip := min(r.prefix, avail)
			r.h.Write(r.pt[r.off : r.off+skip])
			r.off += skip
			r.prefix -= skip
			continue
		}
		if avail > 0 {
			n := copy(p, r.pt[r.off:r.off+avail])
			r.h.Write(p[:n])
			r.off += n
			return n, nil
		}
		if r.eof {
			if r.verified {
				return 0, io.EOF
			}
			if r.prefix > 0 {
				r.err = errIntegrity // shorter than prefix + MDC
				return 0, r.err
			}
			if err := r.check(); err != nil {
				r.err = err
				return 0, err
			}
			return 0, io.EOF
		}
		r.fill()
	}
}

// fill reads and decrypts the next chunk of ciphertext.
func (r *seipdV1Reader) fill() {
	// Keep the unread plaintext (at least the held-back trailer) at the front.
	r.pt = r.pt[:copy(r.pt, r.pt[r.off:])]
	r.off = 0
	// Fill the buffer; only a clean io.EOF from the packet reader ends the
	// packet (it reports a body cut short as io.ErrUnexpectedEOF).
	for empty := 0; len(r.ct) < cap(r.ct); {
		n, err := r.src.Read(r.ct[len(r.ct):cap(r.ct)])
		r.ct = r.ct[:len(r.ct)+n]
		if n == 0 && err == nil {
			if empty++; empty == 100 {
				err = io.ErrNoProgress
			}
		}
		if err == io.EOF {
			r.eof = true
			break
		}
		if err != nil {
			r.err = err
			return
		}
	}
	whole := len(r.ct) &^ 15
	if r.eof {
		whole = len(r.ct)
	}
	start := len(r.pt)
	r.pt = r.pt[:start+whole]
	r.cfbDecrypt(r.pt[start:], r.ct[:whole])
	r.ct = r.ct[:copy(r.ct, r.ct[whole:])]
}

// cfbDecrypt decrypts src into dst; only the last call may be of a length
// that is not a multiple of 16.
func (r *seipdV1Reader) cfbDecrypt(dst, src []byte) {
	var ks [16]byte
	for len(src) >= 16 {
		r.block.Encrypt(ks[:], r.fb[:])
		c0 := binary.LittleEndian.Uint64(src[0:8])
		c1 := binary.LittleEndian.Uint64(src[8:16])
		binary.LittleEndian.PutUint64(dst[0:8], c0^binary.LittleEndian.Uint64(ks[0:8]))
		binary.LittleEndian.PutUint64(dst[8:16], c1^binary.LittleEndian.Uint64(ks[8:16]))
		binary.LittleEndian.PutUint64(r.fb[0:8], c0)
		binary.LittleEndian.PutUint64(r.fb[8:16], c1)
		src, dst = src[16:], dst[16:]
	}
	if len(src) > 0 {
		r.block.Encrypt(ks[:], r.fb[:])
		for i := range src {
			dst[i] = src[i] ^ ks[i]
		}
	}
}

// check verifies the held-back MDC packet against the running hash.
func (r *seipdV1Reader) check() error {
	t := r.pt[r.off:]
	if len(t) != mdcTrailer {
		return errIntegrity
	}
	r.h.Write(t[:2])
	sum := r.h.Sum(nil)
	ok := subtle.ConstantTimeCompare(sum, t[2:]) & subtle.ConstantTimeByteEq(t[0], mdcTag) & subtle.ConstantTimeByteEq(t[1], mdcLen)
	if ok != 1 {
		return errIntegrity
	}
	r.verified = true
	return nil
}

// verify reports whether the whole packet was read and its MDC matched.
func (r *seipdV1Reader) verify() error {
	if !r.verified {
		return errIntegrity
	}
	return nil
}
