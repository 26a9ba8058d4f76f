// Command candor-review is Candor's air-gapped reviewer app. It holds the
// submission private key, imports signed export bundles carried from the
// server on USB, shows reports with hostile text neutralised, exports
// attachments with their metadata removed, and writes replies and status
// changes into a signed reply bundle to carry back.
//
// It links no network code (deps_test.go checks it) and never opens or
// executes what it decrypts. See docs/review.md.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/candor-drop/candor/cmd/candor-review/internal/workspace"
)

// command is one subcommand.
type command struct {
	summary string
	usage   string
	run     func(env *env, args []string) error
}

// env is what a command runs with.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
}

var commands = map[string]command{}

func register(name, usage, summary string, run func(*env, []string) error) {
	if _, dup := commands[name]; dup {
		panic("candor-review: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, usage: usage, run: run}
}

// hintError carries a one-line hint printed after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

func main() {
	e := &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr, getenv: os.Getenv}
	if err := run(e, os.Args[1:]); err != nil {
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

func printError(w io.Writer, err error) {
	msg := strings.ReplaceAll(err.Error(), "\n", " ")
	fmt.Fprintf(w, "candor-review: error: %s\n", msg)
	var h *hintError
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(w, "candor-review: hint: %s\n", h.hint)
	}
}

func run(e *env, args []string) error {
	if len(args) == 0 || (strings.HasPrefix(args[0], "--home") || strings.HasPrefix(args[0], "-home")) {
		return runBrowse(e, args)
	}
	if args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(e.stdout)
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return withHint(fmt.Errorf("unknown command %q", args[0]), "run \"candor-review help\" to list the commands")
	}
	if args[0] != "browse" {
		// Ctrl-C while an export or reply bundle is written leaves no
		// hidden partial file behind (the interface handles it itself).
		defer workspace.RemoveTempsOnSignal(os.Exit)()
	}
	return cmd.run(e, args[1:])
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage: candor-review [COMMAND [flags]]\n\n")
	b.WriteString("With no command, candor-review opens the terminal interface.\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-12s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nEvery command takes --home DIR (default $CANDOR_REVIEW_HOME, else ~/.candor-review).\n")
	b.WriteString("Run \"candor-review COMMAND -h\" for a command's flags. Guide: docs/review.md.\n")
	io.WriteString(w, b.String())
}
