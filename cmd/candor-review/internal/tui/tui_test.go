package tui

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
	"github.com/candor-drop/candor/crypto"
	"github.com/candor-drop/candor/crypto/bundle"
)

const pass = "tui test passphrase"

// newHome makes a home holding one source with a hostile report and an
// attachment.
func newHome(t *testing.T) *workspace.Home {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "home")
	if _, err := workspace.Init(dir, workspace.InitOptions{Passphrase: []byte(pass)}); err != nil {
		t.Fatal(err)
	}
	h, _ := workspace.Open(dir)
	priv, err := h.Unlock([]byte(pass))
	if err != nil {
		t.Fatal(err)
	}
	server, _ := crypto.GenerateSigningKey()
	if _, err := h.Trust(server.Public().String(), false); err != nil {
		t.Fatal(err)
	}
	src, _ := crypto.GenerateSubmissionKey("source", crypto.ProfileGnuPG)
	plains := []string{
		`{"version":1,"category":"corruption","officers":"PC 9","when":"","where":"","message":"Hostile \u001b]0;pwned\u0007 title and \u001b[2J clear"}`,
		"{\"version\":1,\"filename\":\"notes.txt\",\"content_type\":\"text/plain\"}\nplain notes",
	}
	kinds := []string{"message", "file"}
	m := &bundle.ExportManifest{BundleID: strings.Repeat("b", 32), Day: "2026-11-25",
		Sources: []bundle.Source{{ID: strings.Repeat("a", 32), Designation: "brave otter", PublicKey: src.Public().Armored(), Status: "received", StatusDay: "2026-11-25"}}}
	cts := map[string][]byte{}
	for i, p := range plains {
		ct, _ := crypto.EncryptBytes([]byte(p), priv.Public())
		sum := sha256.Sum256(ct)
		id := strings.Repeat("c", 31) + string(rune('0'+i))
		cts[id] = ct
		m.Items = append(m.Items, bundle.Item{ID: id, SourceID: strings.Repeat("a", 32), Kind: kinds[i], Day: "2026-11-25", Size: int64(len(ct)), SHA256: hex.EncodeToString(sum[:]), Fingerprints: []string{}})
	}
	var buf bytes.Buffer
	if err := bundle.WriteExport(&buf, m, server, func(it bundle.Item) (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(cts[it.ID])), nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Import(&buf, priv, workspace.ImportOptions{}); err != nil {
		t.Fatal(err)
	}
	return h
}

func key(s string) tea.KeyMsg {
	switch s {
	case "enter":
		return tea.KeyMsg{Type: tea.KeyEnter}
	case "esc":
		return tea.KeyMsg{Type: tea.KeyEsc}
	case "ctrl+s":
		return tea.KeyMsg{Type: tea.KeyCtrlS}
	case "down":
		return tea.KeyMsg{Type: tea.KeyDown}
	}
	return tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune(s)}
}

func press(m *Model, keys ...string) {
	for _, k := range keys {
		m.Update(key(k))
	}
}

func TestBrowseReplyStatusOutbox(t *testing.T) {
	h := newHome(t)
	m, err := New(h)
	if err != nil {
		t.Fatal(err)
	}
	if v := m.View(); !strings.Contains(v, "brave otter") {
		t.Fatalf("source list lacks the source:\n%s", v)
	}
	press(m, "enter", "enter")
	v := m.View()
	if !strings.Contains(v, "Hostile") || !strings.Contains(v, "Category:  Corruption or abuse of position") {
		t.Fatalf("report view:\n%s", v)
	}
	if strings.Contains(v, "\x1b]0;pwned") || strings.Contains(v, "\x1b[2J") || strings.Contains(v, "\x07") {
		t.Fatalf("report view lets the reporter's escape sequences through: %q", v)
	}

	// Export the attachment from its view.
	out := filepath.Join(t.TempDir(), "exp")
	press(m, "esc", "down", "enter", "e", out, "enter")
	if _, err := os.Stat(filepath.Join(out, "notes.txt")); err != nil {
		t.Fatalf("export: %v (message %q)", err, m.message)
	}

	// Reply and status.
	press(m, "esc", "r", "Thank", " ", "you", "ctrl+s")
	press(m, "s", "down", "enter")
	ob, _ := h.LoadOutbox()
	if len(ob.Replies) != 1 || len(ob.Statuses) != 1 || ob.Statuses[0].Status != "in review" {
		t.Fatalf("outbox %+v (message %q)", ob, m.message)
	}

	// Write the outbox; a wrong passphrase writes nothing.
	bundlePath := filepath.Join(t.TempDir(), "reply.bundle")
	press(m, "esc", "o", bundlePath, "enter", "wrong", "enter")
	if _, err := os.Stat(bundlePath); err == nil || !m.isError {
		t.Fatal("outbox written with a wrong passphrase")
	}
	press(m, "o", bundlePath, "enter", pass)
	if v := m.View(); strings.Contains(v, pass) || !strings.Contains(v, "Passphrase") {
		t.Fatalf("passphrase prompt shows the passphrase or is missing:\n%s", v)
	}
	press(m, "enter")
	if _, err := os.Stat(bundlePath); err != nil {
		t.Fatalf("outbox not written: %v (message %q)", err, m.message)
	}
	ob, _ = h.LoadOutbox()
	if len(ob.Replies)+len(ob.Statuses) != 0 {
		t.Fatal("outbox not emptied")
	}
}
