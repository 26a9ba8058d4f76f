package workspace

import (
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
)

// TestInterruptRemovesTempFile: Ctrl-C while an export (or a reply bundle)
// is being written to a USB stick must not leave the hidden temporary file
// holding part of the attachment there.
func TestInterruptRemovesTempFile(t *testing.T) {
	exited := make(chan int, 1)
	stop := RemoveTempsOnSignal(func(code int) { exited <- code })
	defer stop()
	dir := t.TempDir()
	var code int
	err := writeNewFile(dir+"/photo.jpg", func(w io.Writer) error {
		w.Write([]byte("part of the attachment"))
		syscall.Kill(os.Getpid(), syscall.SIGINT)
		code = <-exited // the handler has run (it would exit here)
		ents, _ := os.ReadDir(dir)
		if len(ents) != 0 {
			t.Errorf("left after the interrupt: %v", ents)
		}
		return errors.New("interrupted")
	})
	if err == nil || code != 130 {
		t.Fatalf("err %v, exit code %d", err, code)
	}
}
