package workspace

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestImportRemovesStaleStaging: an import killed part-way (Ctrl-C, power
// loss) leaves its staging directory, holding decrypted plaintext of a
// bundle that was never accepted. The next import removes it.
func TestImportRemovesStaleStaging(t *testing.T) {
	fx := newFixture(t)
	stale := filepath.Join(fx.home.path(workspaceDir), ".staging-123456")
	if err := os.Mkdir(stale, dirMode); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stale, hexID(9)), []byte("half a plaintext"), fileMode); err != nil {
		t.Fatal(err)
	}
	b := fx.bundleOf(t, []string{"message"}, [][]byte{fx.encrypt(t, report)})
	if _, err := fx.home.Import(bytes.NewReader(b), fx.priv, ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(stale); !os.IsNotExist(err) {
		t.Errorf("stale staging directory still there (%v)", err)
	}
}
