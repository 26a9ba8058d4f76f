// Command candor is the Candor server and its admin commands.
//
// Each subcommand lives in its own file (init.go, serve.go, reviewer.go, …)
// and registers itself in the commands table below.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
)

// command is one subcommand. run gets the arguments after the subcommand
// name; it writes results to stdout and returns an error for the user.
type command struct {
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// commands is filled by init functions in the subcommand files.
var commands = map[string]command{}

func register(name, summary string, run func(args []string, stdout, stderr io.Writer) error) {
	if _, dup := commands[name]; dup {
		panic("candor: command registered twice: " + name)
	}
	commands[name] = command{summary: summary, run: run}
}

// hintError carries a one-line hint printed after the error.
type hintError struct {
	err  error
	hint string
}

func (e *hintError) Error() string { return e.err.Error() }
func (e *hintError) Unwrap() error { return e.err }

func withHint(err error, hint string) error { return &hintError{err: err, hint: hint} }

// errUsage marks a usage error: the command prints its usage too.
var errUsage = errors.New("usage")

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		printError(os.Stderr, err)
		os.Exit(1)
	}
}

func printError(w io.Writer, err error) {
	msg := err.Error()
	fmt.Fprintf(w, "candor: error: %s\n", msg)
	var h *hintError
	if errors.As(err, &h) && h.hint != "" {
		fmt.Fprintf(w, "candor: hint: %s\n", h.hint)
	}
}

func run(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return withHint(errors.New("no command given"), "run \"candor help\" to list the commands")
		}
		return nil
	}
	cmd, ok := commands[args[0]]
	if !ok {
		return withHint(fmt.Errorf("unknown command %q", args[0]), "run \"candor help\" to list the commands")
	}
	return cmd.run(args[1:], stdout, stderr)
}

func usage(w io.Writer) {
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	b.WriteString("Usage: candor COMMAND [flags]\n\nCommands:\n")
	for _, n := range names {
		fmt.Fprintf(&b, "  %-14s %s\n", n, commands[n].summary)
	}
	b.WriteString("\nRun \"candor COMMAND -h\" for a command's flags.\n")
	io.WriteString(w, b.String())
}
