package crypto

import (
	"bytes"
	"errors"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// Limits on the Argon2 S2K of a protected key file. A key file can ask
// for up to 2^31 KiB of memory; go-crypto would try to allocate it. These
// limits allow RFC 9106's first recommendation (2 GiB, t=1) and the
// parameters MarshalArmored writes (64 MiB, t=3).
const (
	maxS2KArgon2MemExp = 21 // 2 GiB
	maxS2KArgon2Passes = 16
)

var errS2KCost = errors.New("crypto: key file asks for too much passphrase-hashing work (Argon2 parameters out of range)")

// checkS2KCost refuses an entity whose protected keys use an Argon2 S2K
// more expensive than the limits, before any passphrase work is done.
func checkS2KCost(e *openpgp.Entity) error {
	keys := []*packet.PrivateKey{e.PrivateKey}
	for _, sk := range e.Subkeys {
		keys = append(keys, sk.PrivateKey)
	}
	for _, k := range keys {
		if k == nil || !k.Encrypted || k.Dummy() {
			continue
		}
		if err := checkKeyS2K(k); err != nil {
			return err
		}
	}
	return nil
}

// checkKeyS2K reads the S2K specifier of a secret key packet (RFC 9580
// section 5.5.3) from its serialisation.
func checkKeyS2K(k *packet.PrivateKey) error {
	var pub, sec bytes.Buffer
	if err := k.PublicKey.Serialize(&pub); err != nil {
		return errS2KCost
	}
	if err := k.Serialize(&sec); err != nil {
		return errS2KCost
	}
	pubBody, ok1 := packetBody(pub.Bytes())
	secBody, ok2 := packetBody(sec.Bytes())
	if !ok1 || !ok2 || len(secBody) <= len(pubBody) {
		return errS2KCost
	}
	b := secBody[len(pubBody):]
	v6 := k.PublicKey.Version == 6
	next := func() (byte, bool) {
		if len(b) == 0 {
			return 0, false
		}
		c := b[0]
		b = b[1:]
		return c, true
	}
	usage, ok := next()
	if !ok {
		return errS2KCost
	}
	if usage != 253 && usage != 254 && usage != 255 {
		return nil // no S2K specifier, or a legacy simple MD5 one
	}
	if v6 {
		next() // count of the following optional fields
	}
	next() // cipher
	if usage == 253 {
		next() // AEAD mode
	}
	if v6 {
		next() // S2K specifier length
	}
	mode, ok := next()
	if !ok {
		return errS2KCost
	}
	if mode != 4 { // not Argon2
		return nil
	}
	if len(b) < 16+3 {
		return errS2KCost
	}
	passes, memExp := b[16], b[18]
	if passes > maxS2KArgon2Passes || memExp > maxS2KArgon2MemExp {
		return errS2KCost
	}
	return nil
}

// packetBody returns the body of one new-format packet.
func packetBody(p []byte) ([]byte, bool) {
	if len(p) < 2 || p[0]&0xc0 != 0xc0 {
		return nil, false
	}
	switch l := p[1]; {
	case l < 192:
		return sized(p[2:], int(l))
	case l < 224:
		if len(p) < 3 {
			return nil, false
		}
		return sized(p[3:], (int(l)-192)<<8+int(p[2])+192)
	case l == 255:
		if len(p) < 6 {
			return nil, false
		}
		return sized(p[6:], int(p[2])<<24|int(p[3])<<16|int(p[4])<<8|int(p[5]))
	}
	return nil, false // partial lengths are not used for keys
}

func sized(b []byte, n int) ([]byte, bool) {
	if n < 0 || n > len(b) {
		return nil, false
	}
	return b[:n], true
}
