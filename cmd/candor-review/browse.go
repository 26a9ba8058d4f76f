package main

import (
	"errors"
	"os"

	"github.com/candor-drop/candor/cmd/candor-review/internal/term"
	"github.com/candor-drop/candor/cmd/candor-review/internal/tui"
)

func runBrowse(e *env, args []string) error {
	f := newFlags(e, "browse", false)
	if _, err := f.parse(args, 0); err != nil {
		return helpOK(err)
	}
	if !term.IsTerminal(os.Stdin) || !term.IsTerminal(os.Stdout) {
		return withHint(errors.New("the interface needs a terminal"), "run \"candor-review help\" for the commands that work without one")
	}
	h, err := f.openHome()
	if err != nil {
		return err
	}
	return userError(tui.Run(h))
}
