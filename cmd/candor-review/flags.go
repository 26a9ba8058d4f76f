package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/candor-drop/candor/cmd/candor-review/internal/term"
	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
	"github.com/candor-drop/candor/crypto"
)

// flags wraps a FlagSet with the options every command shares.
type flags struct {
	*flag.FlagSet
	e        *env
	home     string
	passFile string
}

func newFlags(e *env, name string, withPassphrase bool) *flags {
	f := &flags{FlagSet: flag.NewFlagSet(name, flag.ContinueOnError), e: e}
	f.SetOutput(e.stderr)
	f.StringVar(&f.home, "home", "", "candor-review home directory (default $CANDOR_REVIEW_HOME, else ~/.candor-review)")
	if withPassphrase {
		f.StringVar(&f.passFile, "passphrase-file", "", "read the passphrase from the first line of this file instead of asking")
	}
	f.Usage = func() {
		c := commands[name]
		fmt.Fprintf(e.stderr, "Usage: candor-review %s\n\n%s\n\nFlags:\n", c.usage, c.summary)
		f.PrintDefaults()
	}
	return f
}

// parse parses flags and positional arguments in any order and checks the
// number of positional arguments.
func (f *flags) parse(args []string, nargs int) ([]string, error) {
	pos, err := f.parseAny(args)
	if err != nil {
		return nil, err
	}
	if len(pos) != nargs {
		f.Usage()
		return nil, fmt.Errorf("%s: expected %d argument(s), got %d", f.Name(), nargs, len(pos))
	}
	return pos, nil
}

// parseAny is parse without a fixed number of positional arguments.
func (f *flags) parseAny(args []string) ([]string, error) {
	var pos []string
	for {
		if err := f.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, flag.ErrHelp
			}
			return nil, withHint(fmt.Errorf("%s: %w", f.Name(), err), fmt.Sprintf("run \"candor-review %s -h\" for its flags", f.Name()))
		}
		args = f.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (f *flags) homeDir() string {
	if f.home != "" {
		return f.home
	}
	if h := f.e.getenv("CANDOR_REVIEW_HOME"); h != "" {
		return h
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".candor-review")
	}
	return ".candor-review"
}

func (f *flags) openHome() (*workspace.Home, error) {
	h, err := workspace.Open(f.homeDir())
	if err != nil {
		return nil, withHint(fmt.Errorf("%s is not a candor-review home", f.homeDir()),
			"create one with \"candor-review init --home DIR\", or pass the right --home")
	}
	return h, nil
}

// passphrase reads the passphrase from --passphrase-file or the terminal.
func (f *flags) passphrase(prompt string, confirm bool) ([]byte, error) {
	if f.passFile != "" {
		return term.ReadPassphraseFile(f.passFile)
	}
	p, err := term.AskPassphrase(prompt, confirm, f.e.stderr)
	if errors.Is(err, term.ErrNoTerminal) {
		return nil, withHint(errors.New("a passphrase is needed"), "pass --passphrase-file FILE, or run the command in a terminal")
	}
	return p, err
}

// unlock opens the submission private key.
func (f *flags) unlock(h *workspace.Home) (*crypto.PrivateKey, error) {
	p, err := f.passphrase("Passphrase of the submission key: ", false)
	if err != nil {
		return nil, err
	}
	k, err := h.Unlock(p)
	if errors.Is(err, crypto.ErrPassphrase) {
		return nil, withHint(errors.New("wrong passphrase"), "the passphrase is the one given to \"candor-review init\"")
	}
	return k, err
}
