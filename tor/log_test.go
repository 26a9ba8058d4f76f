package tor

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// Tor's own lines reach the log without tor's timestamp: a warning caused by
// a client must not record when a source was active.
func TestTorOutputLoggedWithoutTimestamps(t *testing.T) {
	var out bytes.Buffer
	noTime := func(_ []string, a slog.Attr) slog.Attr {
		if a.Key == slog.TimeKey {
			return slog.Attr{}
		}
		return a
	}
	l := &lineLogger{log: slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{ReplaceAttr: noTime}))}
	l.Write([]byte("Nov 25 22:01:30.114 [warn] first warning\nNov  5 09:00:00.000 [err] sec"))
	l.Write([]byte("ond\n"))
	got := out.String()
	for _, want := range []string{`msg="tor: [warn] first warning"`, `msg="tor: [err] second"`} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %s:\n%s", want, got)
		}
	}
	for _, leak := range []string{"22:01:30", "09:00:00", "Nov"} {
		if strings.Contains(got, leak) {
			t.Errorf("log holds tor's timestamp %q:\n%s", leak, got)
		}
	}
}
