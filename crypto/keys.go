package crypto

import (
	"bytes"
	stdcrypto "crypto"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
	"github.com/ProtonMail/go-crypto/openpgp/s2k"
)

// Armor block types.
const (
	armorPublic  = "PGP PUBLIC KEY BLOCK"
	armorPrivate = "PGP PRIVATE KEY BLOCK"
	armorMessage = "PGP MESSAGE"
)

// publicKey holds a certificate without any secret material.
type publicKey struct {
	e *openpgp.Entity
}

// privateKey holds an entity whose secret keys are decrypted, and the
// public certificate parsed from its public half.
type privateKey struct {
	e   *openpgp.Entity
	pub *PublicKey
}

// generationConfig returns the go-crypto configuration for a new key of
// profile p.
func generationConfig(p Profile) (*packet.Config, error) {
	switch p {
	case ProfileGnuPG:
		// EdDSA (legacy OID) primary + ECDH Curve25519 subkey: the v4
		// "ed25519/cv25519" that GnuPG 2.2 and Sequoia read. AEADConfig
		// stays nil so the key does not advertise SEIPD v2.
		return &packet.Config{
			Algorithm:              packet.PubKeyAlgoEdDSA,
			Curve:                  packet.Curve25519,
			DefaultHash:            stdcrypto.SHA256,
			DefaultCipher:          packet.CipherAES256,
			DefaultCompressionAlgo: packet.CompressionNone,
		}, nil
	case ProfileRFC9580:
		return &packet.Config{
			V6Keys:                 true,
			Algorithm:              packet.PubKeyAlgoEd25519,
			DefaultHash:            stdcrypto.SHA256,
			DefaultCipher:          packet.CipherAES256,
			DefaultCompressionAlgo: packet.CompressionNone,
			AEADConfig:             &packet.AEADConfig{DefaultMode: packet.AEADModeGCM},
		}, nil
	default:
		return nil, fmt.Errorf("crypto: unknown key profile %d", p)
	}
}

// GenerateSubmissionKey makes a new submission key pair in profile p with
// a single user ID name (for example "Candor submissions <unit@example>").
// It prefers AES-256 only and no compression; a ProfileGnuPG key does not
// advertise SEIPD v2, so every sender falls back to SEIPD v1 which GnuPG
// 2.2 and Sequoia read.
func GenerateSubmissionKey(name string, p Profile) (*PrivateKey, error) {
	cfg, err := generationConfig(p)
	if err != nil {
		return nil, err
	}
	cfg.Time = func() time.Time { return time.Now().UTC().Truncate(time.Second) }
	uidName, uidComment, uidEmail := splitUserID(name)
	e, err := openpgp.NewEntity(uidName, uidComment, uidEmail, cfg)
	if err != nil {
		return nil, fmt.Errorf("crypto: unable to generate key: %w", err)
	}
	if err := restrictPreferences(e, cfg); err != nil {
		return nil, err
	}
	return newPrivateKey(e)
}

// splitUserID turns "Name (comment) <email>" into its parts; the comment
// and the address are optional.
func splitUserID(s string) (name, comment, email string) {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '<'); i >= 0 && strings.HasSuffix(s, ">") {
		s, email = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
	}
	if i := strings.LastIndexByte(s, '('); i >= 0 && strings.HasSuffix(s, ")") {
		s, comment = strings.TrimSpace(s[:i]), s[i+1:len(s)-1]
	}
	return s, comment, email
}

// restrictPreferences narrows the preferences of e's self-signatures to
// AES-256 only (go-crypto appends AES-128) and re-signs them.
func restrictPreferences(e *openpgp.Entity, cfg *packet.Config) error {
	only := []uint8{uint8(packet.CipherAES256)}
	if cfg.V6() {
		for _, sig := range e.Signatures {
			sig.PreferredSymmetric = only
			sig.PreferredCipherSuites = [][2]uint8{{uint8(packet.CipherAES256), uint8(packet.AEADModeGCM)}, {uint8(packet.CipherAES256), uint8(packet.AEADModeOCB)}}
			if err := sig.SignDirectKeyBinding(e.PrimaryKey, e.PrivateKey, cfg); err != nil {
				return fmt.Errorf("crypto: unable to sign key: %w", err)
			}
		}
		return nil
	}
	for _, id := range e.Identities {
		id.SelfSignature.PreferredSymmetric = only
		if err := id.SelfSignature.SignUserId(id.UserId.Id, e.PrimaryKey, e.PrivateKey, cfg); err != nil {
			return fmt.Errorf("crypto: unable to sign key: %w", err)
		}
	}
	return nil
}

// newPrivateKey wraps an unlocked entity, deriving its public certificate.
func newPrivateKey(e *openpgp.Entity) (*PrivateKey, error) {
	var buf bytes.Buffer
	if err := e.Serialize(&buf); err != nil {
		return nil, fmt.Errorf("crypto: unable to serialize public key: %w", err)
	}
	pub, err := parsePublic(buf.Bytes(), false)
	if err != nil {
		return nil, err
	}
	return &PrivateKey{k: &privateKey{e: e, pub: pub[0]}}, nil
}

// dearmor returns the binary content of data: data itself when it is not
// ASCII-armored, or the decoded block, which must be of type want.
func dearmor(data []byte, want ...string) ([]byte, error) {
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte("-----BEGIN ")) {
		return data, nil
	}
	block, err := armor.Decode(bytes.NewReader(trimmed))
	if err != nil {
		return nil, fmt.Errorf("crypto: unable to read armored key: %w", err)
	}
	ok := false
	for _, w := range want {
		ok = ok || block.Type == w
	}
	if !ok {
		return nil, fmt.Errorf("crypto: armored block is a %q, expected %q", block.Type, want[0])
	}
	body, err := io.ReadAll(block.Body)
	if err != nil {
		return nil, fmt.Errorf("crypto: unable to read armored key: %w", err)
	}
	return body, nil
}

// readKeyRing parses binary key material. go-crypto has panicked on
// malformed input in the past; a panic is turned into an error here
// because key files are input from outside.
func readKeyRing(data []byte) (el openpgp.EntityList, err error) {
	defer func() {
		if r := recover(); r != nil {
			el, err = nil, fmt.Errorf("crypto: unable to parse key: malformed input (%v)", r)
		}
	}()
	el, err = openpgp.ReadKeyRing(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("crypto: unable to parse key: %w", err)
	}
	if len(el) == 0 {
		return nil, errors.New("crypto: unable to parse key: no key found")
	}
	return el, nil
}

// dropThirdPartySignatures keeps only e's own signatures. Certifications
// by other keys say who vouches for the unit's key; the server has no use
// for them and should not publish or store that list.
func dropThirdPartySignatures(e *openpgp.Entity) {
	own := func(sigs []*packet.Signature) []*packet.Signature {
		kept := sigs[:0]
		for _, s := range sigs {
			if s.CheckKeyIdOrFingerprint(e.PrimaryKey) {
				kept = append(kept, s)
			}
		}
		return kept
	}
	for _, id := range e.Identities {
		id.Signatures = own(id.Signatures)
	}
	e.Signatures = own(e.Signatures)
}

// noEncryptionKey builds the error for an entity without a usable
// encryption subkey, naming the GnuPG command that fixes it.
func noEncryptionKey(e *openpgp.Entity) error {
	fpr := fingerprint(e)
	now := time.Now()
	if e.Revoked(now) {
		return fmt.Errorf("%w (key %s has been revoked); give a key that is not revoked", ErrNoEncryptionKey, fpr)
	}
	sig, _ := e.PrimarySelfSignature()
	if sig != nil && (e.PrimaryKey.KeyExpired(sig, now) || sig.SigExpired(now)) {
		return fmt.Errorf("%w (key %s has expired); extend it with: gpg --quick-set-expire %s 2y, then gpg --quick-set-expire %s 2y '*'",
			ErrNoEncryptionKey, fpr, fpr, fpr)
	}
	for _, sk := range e.Subkeys {
		if sk.Sig != nil && sk.Sig.FlagEncryptCommunications && !sk.Revoked(now) &&
			(sk.PublicKey.KeyExpired(sk.Sig, now) || sk.Sig.SigExpired(now)) {
			return fmt.Errorf("%w (the encryption subkey of %s has expired); extend it with: gpg --quick-set-expire %s 2y '*', or add one with: gpg --quick-add-key %s cv25519 encr",
				ErrNoEncryptionKey, fpr, fpr, fpr)
		}
	}
	return fmt.Errorf("%w (key %s); add one with: gpg --quick-add-key %s cv25519 encr",
		ErrNoEncryptionKey, fpr, fpr)
}

func fingerprint(e *openpgp.Entity) string {
	return strings.ToUpper(hex.EncodeToString(e.PrimaryKey.Fingerprint))
}

// parsePublic parses one or more certificates; with single it insists on
// exactly one. Secret key material is refused so that a private key is not
// installed on the server by mistake.
func parsePublic(data []byte, single bool) ([]*PublicKey, error) {
	bin, err := dearmor(data, armorPublic)
	if err != nil {
		return nil, err
	}
	el, err := readKeyRing(bin)
	if err != nil {
		return nil, err
	}
	if single && len(el) != 1 {
		return nil, fmt.Errorf("crypto: expected one public key, found %d", len(el))
	}
	now := time.Now()
	keys := make([]*PublicKey, 0, len(el))
	for _, e := range el {
		if e.PrivateKey != nil {
			return nil, errors.New("crypto: this is a private key; give the public key (gpg --export --armor FPR)")
		}
		if _, ok := e.EncryptionKey(now); !ok {
			return nil, noEncryptionKey(e)
		}
		dropThirdPartySignatures(e)
		keys = append(keys, &PublicKey{k: &publicKey{e: e}})
	}
	return keys, nil
}

// ParsePublicKey parses one OpenPGP certificate, ASCII-armored or binary.
// It refuses private keys, several keys, and keys without a usable (valid,
// unexpired, unrevoked) encryption subkey (ErrNoEncryptionKey, with the
// gpg command that adds one).
func ParsePublicKey(data []byte) (*PublicKey, error) {
	keys, err := parsePublic(data, true)
	if err != nil {
		return nil, err
	}
	return keys[0], nil
}

// ParsePublicKeys parses a keyring of one or more certificates, with the
// same checks as ParsePublicKey applied to each.
func ParsePublicKeys(data []byte) ([]*PublicKey, error) {
	return parsePublic(data, false)
}

// ParsePrivateKey parses one OpenPGP secret key, ASCII-armored or binary,
// as exported by `gpg --export-secret-keys` or written by MarshalArmored,
// and unlocks it with passphrase when it is protected. A missing or wrong
// passphrase gives ErrPassphrase. A key whose secret encryption subkey is
// missing gives ErrNoEncryptionKey. GnuPG stubs (a primary key kept
// offline, exported with --export-secret-subkeys) are accepted.
func ParsePrivateKey(data, passphrase []byte) (*PrivateKey, error) {
	bin, err := dearmor(data, armorPrivate)
	if err != nil {
		return nil, err
	}
	el, err := readKeyRing(bin)
	if err != nil {
		return nil, err
	}
	if len(el) != 1 {
		return nil, fmt.Errorf("crypto: expected one private key, found %d", len(el))
	}
	e := el[0]
	if e.PrivateKey == nil {
		return nil, errors.New("crypto: this is a public key; a private key is needed")
	}
	if isLocked(e) {
		if len(passphrase) == 0 {
			return nil, ErrPassphrase
		}
		if err := checkS2KCost(e); err != nil {
			return nil, err
		}
		if err := decryptEntity(e, passphrase); err != nil {
			return nil, err
		}
	}
	k, ok := e.EncryptionKey(time.Now())
	if !ok || k.PrivateKey == nil || k.PrivateKey.Dummy() {
		return nil, noEncryptionKey(e)
	}
	dropThirdPartySignatures(e)
	return newPrivateKey(e)
}

func isLocked(e *openpgp.Entity) bool {
	if e.PrivateKey != nil && !e.PrivateKey.Dummy() && e.PrivateKey.Encrypted {
		return true
	}
	for _, sk := range e.Subkeys {
		if sk.PrivateKey != nil && !sk.PrivateKey.Dummy() && sk.PrivateKey.Encrypted {
			return true
		}
	}
	return false
}

func decryptEntity(e *openpgp.Entity, passphrase []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = ErrPassphrase
		}
	}()
	if err := e.DecryptPrivateKeys(passphrase); err != nil {
		return ErrPassphrase
	}
	if isLocked(e) {
		return ErrPassphrase
	}
	return nil
}

// Fingerprint is the upper-case hex fingerprint of the primary key, as
// GnuPG prints it (40 digits for v4 keys, 64 for v6).
func (k *PublicKey) Fingerprint() string { return fingerprint(k.k.e) }

// String returns the fingerprint.
func (k *PublicKey) String() string { return k.Fingerprint() }

// Armored returns the certificate ASCII-armored.
func (k *PublicKey) Armored() string {
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, armorPublic, nil)
	if err != nil {
		panic("crypto: armor: " + err.Error())
	}
	if _, err := w.Write(k.Bytes()); err != nil {
		panic("crypto: armor: " + err.Error())
	}
	if err := w.Close(); err != nil {
		panic("crypto: armor: " + err.Error())
	}
	buf.WriteByte('\n')
	return buf.String()
}

// Bytes returns the binary certificate.
func (k *PublicKey) Bytes() []byte {
	var buf bytes.Buffer
	if err := k.k.e.Serialize(&buf); err != nil {
		// Serializing a parsed or generated entity to memory cannot fail
		// unless the entity is broken, which is a programming error.
		panic("crypto: unable to serialize public key: " + err.Error())
	}
	return buf.Bytes()
}

// EncryptionFingerprints returns the upper-case hex fingerprints of the
// subkey (or primary key) that Encrypt uses for k now.
func (k *PublicKey) EncryptionFingerprints() []string {
	key, ok := k.k.e.EncryptionKey(time.Now())
	if !ok {
		return nil
	}
	return []string{strings.ToUpper(hex.EncodeToString(key.PublicKey.Fingerprint))}
}

// Version is the OpenPGP key version (4 or 6).
func (k *PublicKey) Version() int { return k.k.e.PrimaryKey.Version }

// Public returns the public half.
func (k *PrivateKey) Public() *PublicKey { return k.k.pub }

// Fingerprint is the fingerprint of the primary key.
func (k *PrivateKey) Fingerprint() string { return fingerprint(k.k.e) }

// String prints only the fingerprint, never secret material.
func (k *PrivateKey) String() string { return "private key " + k.Fingerprint() }

// GoString keeps %#v from printing secret material.
func (k *PrivateKey) GoString() string { return k.String() }

// MarshalArmored returns the secret key ASCII-armored. With a non-empty
// passphrase the secret material is protected: v4 keys with the iterated
// and salted S2K (SHA-256, maximum count, AES-256; what GnuPG 2.2 reads),
// v6 keys with Argon2 and AEAD as RFC 9580 recommends. An empty passphrase
// writes the secret material in clear: the caller must then protect the
// file by other means.
func (k *PrivateKey) MarshalArmored(passphrase []byte) ([]byte, error) {
	var plain bytes.Buffer
	if err := k.k.e.SerializePrivateWithoutSigning(&plain, nil); err != nil {
		return nil, fmt.Errorf("crypto: unable to serialize private key: %w", err)
	}
	defer clear(plain.Bytes()) // best effort
	bin := plain.Bytes()
	if len(passphrase) > 0 {
		el, err := readKeyRing(bin)
		if err != nil {
			return nil, err
		}
		e := el[0]
		cfg := &packet.Config{
			DefaultCipher: packet.CipherAES256,
			S2KConfig: &s2k.Config{
				S2KMode:  s2k.IteratedSaltedS2K,
				Hash:     stdcrypto.SHA256,
				S2KCount: 65011712,
			},
		}
		if e.PrimaryKey.Version == 6 {
			cfg.S2KConfig = &s2k.Config{
				S2KMode:      s2k.Argon2S2K,
				Argon2Config: &s2k.Argon2Config{NumberOfPasses: 3, DegreeOfParallelism: 4, Memory: 64 * 1024},
			}
			cfg.AEADConfig = &packet.AEADConfig{DefaultMode: packet.AEADModeOCB}
		}
		if err := e.EncryptPrivateKeys(passphrase, cfg); err != nil {
			return nil, fmt.Errorf("crypto: unable to protect private key: %w", err)
		}
		var prot bytes.Buffer
		if err := e.SerializePrivateWithoutSigning(&prot, nil); err != nil {
			return nil, fmt.Errorf("crypto: unable to serialize private key: %w", err)
		}
		bin = prot.Bytes()
	}
	var out bytes.Buffer
	w, err := armor.Encode(&out, armorPrivate, nil)
	if err != nil {
		return nil, fmt.Errorf("crypto: unable to armor private key: %w", err)
	}
	if _, err := w.Write(bin); err != nil {
		return nil, fmt.Errorf("crypto: unable to armor private key: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("crypto: unable to armor private key: %w", err)
	}
	out.WriteByte('\n')
	return out.Bytes(), nil
}

func armorEncode(w io.Writer, blockType string) (io.WriteCloser, error) {
	return armor.Encode(w, blockType, nil)
}
