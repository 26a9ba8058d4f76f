package term

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"

	xterm "golang.org/x/term"
)

// ErrNoTerminal: a passphrase is needed, no --passphrase-file was given and
// standard input is not a terminal to ask on.
var ErrNoTerminal = errors.New("no passphrase file given and no terminal to ask on")

// MaxPassphraseBytes caps what is read from a passphrase file.
const MaxPassphraseBytes = 4096

// ReadPassphraseFile reads a passphrase from the first line of a file.
func ReadPassphraseFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("unable to read the passphrase file: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxPassphraseBytes+1))
	if err != nil {
		return nil, fmt.Errorf("unable to read the passphrase file: %w", err)
	}
	if len(data) > MaxPassphraseBytes {
		return nil, errors.New("the passphrase file is too long")
	}
	if i := bytes.IndexByte(data, '\n'); i >= 0 {
		data = data[:i]
	}
	data = bytes.TrimSuffix(data, []byte("\r"))
	if len(data) == 0 {
		return nil, errors.New("the passphrase file is empty")
	}
	return data, nil
}

// AskPassphrase asks on the terminal (standard input) without echo. With
// confirm it asks twice and insists the answers match.
func AskPassphrase(prompt string, confirm bool, out io.Writer) ([]byte, error) {
	fd := int(os.Stdin.Fd())
	if !xterm.IsTerminal(fd) {
		return nil, ErrNoTerminal
	}
	fmt.Fprint(out, prompt)
	p, err := xterm.ReadPassword(fd)
	fmt.Fprintln(out)
	if err != nil {
		return nil, fmt.Errorf("unable to read the passphrase: %w", err)
	}
	if len(p) == 0 {
		return nil, errors.New("the passphrase is empty")
	}
	if confirm {
		fmt.Fprint(out, "Repeat the passphrase: ")
		q, err := xterm.ReadPassword(fd)
		fmt.Fprintln(out)
		if err != nil {
			return nil, fmt.Errorf("unable to read the passphrase: %w", err)
		}
		if !bytes.Equal(p, q) {
			return nil, errors.New("the two passphrases differ")
		}
	}
	return p, nil
}

// IsTerminal reports whether f is a terminal.
func IsTerminal(f *os.File) bool { return xterm.IsTerminal(int(f.Fd())) }
