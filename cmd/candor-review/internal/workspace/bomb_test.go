package workspace

import (
	"bytes"
	"crypto/rand"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// TestImportDecompressionBomb: an item whose OpenPGP message is compressed
// (go-crypto decompresses without a limit) must not be written out in full:
// 64 MiB of zeros in a ~70 KiB ciphertext is skipped as a likely
// decompression bomb, the rest of the bundle is imported and no staging
// file is left.
func TestImportDecompressionBomb(t *testing.T) {
	fx := newFixture(t)
	pub, err := fx.home.PublicKeyArmored()
	if err != nil {
		t.Fatal(err)
	}
	ring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(pub))
	if err != nil {
		t.Fatal(err)
	}
	// openpgp.Encrypt honours the key's "no compression" preference, so
	// the compressed message is assembled packet by packet, as an attacker
	// would.
	ek, ok := ring[0].EncryptionKey(time.Now())
	if !ok {
		t.Fatal("no encryption key")
	}
	var ct bytes.Buffer
	sessionKey := make([]byte, 32)
	rand.Read(sessionKey)
	if err := packet.SerializeEncryptedKey(&ct, ek.PublicKey, packet.CipherAES256, sessionKey, nil); err != nil {
		t.Fatal(err)
	}
	encW, err := packet.SerializeSymmetricallyEncrypted(&ct, packet.CipherAES256, false, packet.CipherSuite{}, sessionKey, nil)
	if err != nil {
		t.Fatal(err)
	}
	compW, err := packet.SerializeCompressed(encW, packet.CompressionZLIB, &packet.CompressionConfig{Level: 9})
	if err != nil {
		t.Fatal(err)
	}
	w, err := packet.SerializeLiteral(compW, true, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`{"version":1,"filename":"zeros.bin"}` + "\n"))
	zeros := make([]byte, 1<<20)
	for range 64 {
		w.Write(zeros)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := compW.Close(); err != nil {
		t.Fatal(err)
	}
	if ct.Len() > 1<<20 {
		t.Fatalf("fixture not compressed: %d bytes", ct.Len())
	}
	b := fx.bundleOf(t, []string{"file", "message"}, [][]byte{ct.Bytes(), fx.encrypt(t, report)})
	res, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || res.New[0].Kind != "message" || len(res.Skipped) != 1 || res.Skipped[0].ID != hexID(1) {
		t.Fatalf("new %+v, skipped %+v; want the bomb skipped and the report imported", res.New, res.Skipped)
	}
	if !strings.Contains(res.Skipped[0].Reason, "decompress") {
		t.Errorf("reason %q does not say why", res.Skipped[0].Reason)
	}
	ents, _ := os.ReadDir(fx.home.path(workspaceDir))
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), ".staging-") {
			t.Errorf("staging left behind: %s", e.Name())
		}
	}
}
