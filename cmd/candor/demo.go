package main

// `candor demo`: a throwaway instance for newcomers.

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/candor-drop/candor/crypto"
)

// demoPassphrase protects the demo submission key. DEMO ONLY.
const demoPassphrase = "demo-only-not-secret"

func init() {
	register("demo", "run a throwaway local instance (DEMO keys, never for real use)", runDemo)
}

func runDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	withTor := fs.Bool("tor", false, "also start a private Tor network (in its own loopback-only network namespace) and publish the onion services on it")
	inNetns := fs.Bool("in-netns", false, "internal: already re-executed inside a network namespace")
	sourceAddr := fs.String("source-addr", "127.0.0.1:8080", "loopback address of the source interface")
	journalistAddr := fs.String("journalist-addr", "127.0.0.1:8081", "loopback address of the journalist interface")
	keep := fs.Bool("keep", false, "keep the temporary directory on exit")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *withTor && !*inNetns {
		return reexecInNetns(args, stdout, stderr)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	tmp, err := os.MkdirTemp("", "candor-demo-")
	if err != nil {
		return fmt.Errorf("demo: unable to create a temporary directory: %w", err)
	}
	if !*keep {
		defer os.RemoveAll(tmp)
	}
	data := filepath.Join(tmp, "data")

	// A DEMO submission key. In real use it is made on the air-gapped
	// workstation with `candor-review init`; only its public half reaches
	// the server.
	key, err := crypto.GenerateSubmissionKey("Candor DEMO submission key - not for real use", crypto.ProfileGnuPG)
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	secret, err := key.MarshalArmored([]byte(demoPassphrase))
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	secretPath := filepath.Join(tmp, "DEMO-submission-secret-key.asc")
	passPath := filepath.Join(tmp, "DEMO-passphrase.txt")
	pubPath := filepath.Join(tmp, "DEMO-submission-public-key.asc")
	for _, f := range []struct {
		path string
		data []byte
	}{{secretPath, secret}, {passPath, []byte(demoPassphrase + "\n")}, {pubPath, []byte(key.Public().Armored())}} {
		if err := os.WriteFile(f.path, f.data, 0o600); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}

	var quiet bytes.Buffer
	if err := run([]string{"init", "--data", data, "--submission-key", pubPath}, &quiet, stderr); err != nil {
		return fmt.Errorf("demo: unable to create the instance: %w", err)
	}
	var reviewer bytes.Buffer
	if err := run([]string{"reviewer", "add", "--data", data, "--name", "demo", "--admin"}, &reviewer, stderr); err != nil {
		return fmt.Errorf("demo: unable to create the demo reviewer: %w", err)
	}

	o := serveOptions{data: data, tor: "off", torBinary: "tor", sourceAddr: *sourceAddr, journalistAddr: *journalistAddr}
	banner := func() {
		fmt.Fprintf(stdout, `
================================ CANDOR DEMO ================================
 Everything below is a THROWAWAY DEMO. These keys and credentials are printed
 on screen and deleted on exit: never use them, or this mode, for real reports.
=============================================================================
 Temporary directory: %s

 DEMO reviewer account (journalist interface):
%s
 DEMO submission key (what candor-review would hold on the air-gapped machine):
   secret key:  %s
   passphrase:  %s  (file: %s)
   try:  go run ./cmd/candor-review init --home %s --import-key %s --passphrase-file %s

 Press Ctrl-C to stop; the temporary directory is then removed.
=============================================================================
`, tmp, indent(reviewer.String(), "   "), secretPath, demoPassphrase, passPath,
			filepath.Join(tmp, "review-home"), secretPath, passPath)
	}

	if *withTor {
		torrc, socks, stopNet, err := startDemoTorNetwork(ctx, filepath.Join(tmp, "tornet"), stdout)
		if err != nil {
			return fmt.Errorf("demo: unable to start the private Tor network: %w", err)
		}
		defer stopNet()
		if m := demoClientAuthRE.FindStringSubmatch(reviewer.String()); m != nil {
			if err := authorizeDemoReviewer(ctx, m[1]); err != nil {
				return fmt.Errorf("demo: unable to authorize the demo reviewer on the SOCKS client: %w", err)
			}
		}
		o.tor, o.torrc = "on", torrc
		banner()
		fmt.Fprintf(stdout, " Private Tor network SOCKS port (inside this network namespace, pid %d): %s\n", os.Getpid(), socks)
		fmt.Fprintf(stdout, " Reach it from another shell: nsenter --net=/proc/%d/ns/net chromium --proxy-server=socks5://%s\n\n", os.Getpid(), socks)
	} else {
		banner()
	}
	logger := newLogger(stderr)
	return serve(ctx, o, stdout, logger)
}

// demoClientAuthRE finds the reviewer's client-authorization line in the output
// of `candor reviewer add`.
var demoClientAuthRE = regexp.MustCompile(`client auth:\s+(\S+:descriptor:x25519:\S+)`)

func indent(s, prefix string) string {
	var b bytes.Buffer
	for _, line := range bytes.Split(bytes.TrimRight([]byte(s), "\n"), []byte("\n")) {
		b.WriteString(prefix)
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.String()
}

// reexecInNetns runs this same demo inside a new network namespace with only
// loopback, so the private Tor network cannot reach anything else.
func reexecInNetns(args []string, stdout, stderr io.Writer) error {
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	unshare := []string{"-n"}
	if os.Geteuid() != 0 {
		unshare = []string{"-rn"}
	}
	argv := append(unshare, "--", "sh", "-c", `ip link set lo up && exec "$0" "$@"`, self, "demo", "--in-netns")
	argv = append(argv, args...)
	cmd := exec.Command("unshare", argv...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, stdout, stderr
	// The demo inside the namespace does the stopping and the clean-up: pass
	// it Ctrl-C and SIGTERM (a kill reaches only this process) and wait for
	// it, rather than dying first and leaving it running.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	err = cmd.Start()
	if err == nil {
		exited := make(chan struct{})
		go func() {
			for {
				select {
				case s := <-sigs:
					cmd.Process.Signal(s)
				case <-exited:
					return
				}
			}
		}()
		err = cmd.Wait()
		close(exited)
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return fmt.Errorf("demo: exited with status %d", ee.ExitCode())
		}
		return withHint(fmt.Errorf("demo: unable to enter a network namespace: %w", err), "needs root or unprivileged user namespaces (unshare -rn) and iproute2")
	}
	return nil
}
