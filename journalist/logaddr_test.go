package journalist

import (
	"bytes"
	"crypto/rand"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/candor-drop/candor/store"
)

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}
func (l *lockedBuffer) String() string { l.mu.Lock(); defer l.mu.Unlock(); return l.b.String() }

// A download the client abandons is logged without the client's address
// (the network error's text names both ends of the connection).
func TestAbortedDownloadLogNamesNoClientAddress(t *testing.T) {
	e := newEnv(t)
	var logBuf lockedBuffer
	e.srv.log = slog.New(slog.NewTextHandler(&logBuf, nil))
	tok := e.token(e.reviewer("alice", false))
	src, _ := e.addSource()
	big := make([]byte, 64<<20)
	rand.Read(big)
	it, err := e.st.AddItem(e.ctx, store.NewItem{SourceID: src.ID, Kind: store.KindFile, Fingerprints: []string{e.sub.Fingerprint()}},
		func(w io.Writer) error { _, err := w.Write(big); return err })
	if err != nil {
		t.Fatal(err)
	}

	conn, err := net.Dial("tcp", strings.TrimPrefix(e.ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	clientAddr := conn.LocalAddr().String()
	io.WriteString(conn, "GET /api/v1/items/"+it.ID+" HTTP/1.1\r\nHost: x\r\nAuthorization: Token "+tok+"\r\n\r\n")
	buf := make([]byte, 4096)
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatal(err)
	}
	conn.(*net.TCPConn).SetLinger(0)
	conn.Close()
	// Wait for the handler to notice and finish.
	e.ts.Close()

	log := logBuf.String()
	if !strings.Contains(log, "interrupted") {
		t.Fatalf("the aborted download was not logged: %q", log)
	}
	_, port, _ := net.SplitHostPort(clientAddr)
	if strings.Contains(log, clientAddr) || strings.Contains(log, ":"+port) {
		t.Fatalf("the log names the client address %s: %s", clientAddr, log)
	}
}
