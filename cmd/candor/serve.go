package main

// Wiring of `candor serve`. The handler constructors live in
// serve_source.go and serve_journalist.go, the Tor side in serve_tor.go.

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

type serveOptions struct {
	data           string
	tor            string // "on" (default) or "off"
	torBinary      string
	torrc          string
	sourceAddr     string
	journalistAddr string
}

func init() {
	register("serve", "serve the source and journalist interfaces", runServe)
}

func runServe(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o serveOptions
	fs.StringVar(&o.data, "data", "", "instance data directory (required)")
	fs.StringVar(&o.tor, "tor", "on", "\"on\" publishes both onion services through tor; \"off\" serves plain HTTP on loopback only")
	fs.StringVar(&o.torBinary, "tor-binary", "tor", "path of the tor binary")
	fs.StringVar(&o.torrc, "torrc", "", "file of extra torrc lines appended to the generated configuration")
	fs.StringVar(&o.sourceAddr, "source-addr", "127.0.0.1:8080", "loopback address of the source interface")
	fs.StringVar(&o.journalistAddr, "journalist-addr", "127.0.0.1:8081", "loopback address of the journalist interface")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if o.data == "" {
		return withHint(errors.New("serve: --data is required"), "create an instance first with \"candor init --data DIR --submission-key FILE\"")
	}
	if o.tor != "on" && o.tor != "off" {
		return fmt.Errorf("serve: --tor must be \"on\" or \"off\", not %q", o.tor)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	logger := newLogger(stderr)
	return serve(ctx, o, stdout, logger)
}

// serve runs until ctx ends or tor dies. It returns nil on a clean shutdown.
func serve(ctx context.Context, o serveOptions, stdout io.Writer, logger *slog.Logger) error {
	for _, a := range []string{o.sourceAddr, o.journalistAddr} {
		if err := requireLoopback(a); err != nil {
			return err
		}
	}
	inst, err := openInstance(o.data)
	if err != nil {
		return err
	}
	defer inst.Close()

	var torRT *torRuntime
	sourceHost := "" // empty: no Host check (plain loopback mode)
	if o.tor == "on" {
		torRT, err = prepareTor(inst, o, logger)
		if err != nil {
			return err
		}
		sourceHost = torRT.sourceOnionHost()
	}

	srcHandler, srcClose, err := newSourceHandler(inst, sourceHost, logger)
	if err != nil {
		return fmt.Errorf("serve: unable to set up the source interface: %w", err)
	}
	defer srcClose()
	jHandler, jClose, err := newJournalistHandler(ctx, inst, logger)
	if err != nil {
		return fmt.Errorf("serve: unable to set up the journalist interface: %w", err)
	}
	defer jClose()

	srcLn, err := listenLoopback(o.sourceAddr)
	if err != nil {
		return err
	}
	jLn, err := listenLoopback(o.journalistAddr)
	if err != nil {
		srcLn.Close()
		return err
	}
	// In-flight handlers are waited for before the store is closed, so that
	// an upload cut off at shutdown gets to roll back what it stored.
	var inflight sync.WaitGroup
	track := func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inflight.Add(1)
			defer inflight.Done()
			h.ServeHTTP(w, r)
		})
	}
	defer waitInflight(&inflight)
	servers := []*http.Server{newHTTPServer(track(srcHandler), logger), newHTTPServer(track(jHandler), logger)}
	lns := []net.Listener{srcLn, jLn}

	errc := make(chan error, 3)
	var wg sync.WaitGroup
	for i := range servers {
		wg.Add(1)
		go func(s *http.Server, ln net.Listener) {
			defer wg.Done()
			if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}(servers[i], lns[i])
	}
	fmt.Fprintf(stdout, "source interface:     http://%s/\n", srcLn.Addr())
	fmt.Fprintf(stdout, "journalist interface: http://%s/\n", jLn.Addr())

	// File times in the data directory say the day only after a pass (see
	// the store package doc); one runs now and every 10 minutes. It is
	// stopped and waited for before the store is closed.
	blurCtx, stopBlur := context.WithCancel(ctx)
	blurDone := make(chan struct{})
	go func() {
		defer close(blurDone)
		tick := time.NewTicker(10 * time.Minute)
		defer tick.Stop()
		for {
			if err := inst.store.BlurTimestamps(); err != nil {
				logger.Error("unable to reset file timestamps in the data directory")
			}
			select {
			case <-blurCtx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	defer func() { stopBlur(); <-blurDone }()

	var torDone <-chan struct{}
	if torRT != nil {
		if err := torRT.start(ctx, srcLn.Addr().String(), jLn.Addr().String(), stdout); err != nil {
			shutdown(servers)
			return err
		}
		defer torRT.close()
		torDone = torRT.done()
	}

	var runErr error
	select {
	case <-ctx.Done():
		logger.Info("shutting down")
	case <-torDone:
		runErr = withHint(errors.New("serve: tor exited; stopped serving so that nothing is reachable except through Tor"),
			"check tor's log above; a supervisor (systemd) should restart candor serve")
	case err := <-errc:
		runErr = fmt.Errorf("serve: %w", err)
	}
	shutdown(servers)
	wg.Wait()
	return runErr
}

// newLogger is the server's logger. It writes no network addresses (see
// below) and no timestamps: a log line
// written while a source acts would otherwise record the exact time of
// their activity, which the server must never keep (journald or a
// supervisor may add their own; docs/tor.md says to turn that off).
func newLogger(w io.Writer) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			// A network error's text names both ends of the connection
			// (a client's address and port): only the operation is kept,
			// whichever package logged it.
			if err, ok := a.Value.Any().(error); ok {
				var op *net.OpError
				if errors.As(err, &op) {
					return slog.String(a.Key, "network "+op.Op+" failed (details withheld)")
				}
			}
			return a
		},
	}))
}

// withheldErrorLog receives net/http's own error lines ("http: panic serving
// ADDR: …", "http: Accept error …"), which name the peer address and may
// carry request data. Only the fact that an error happened is logged.
type withheldErrorLog struct{ logger *slog.Logger }

func (w withheldErrorLog) Write(p []byte) (int, error) {
	w.logger.Warn("http server error (details withheld: they may name a client address)")
	return len(p), nil
}

func newHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       0, // uploads over Tor may be slow: bounded instead by MaxBytesReader and the source interface's per-read stall deadline (source.Config.UploadStall)
		WriteTimeout:      0,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(withheldErrorLog{logger}, "", 0),
	}
}

// shutdownGrace is how long in-flight requests may run after SIGTERM.
var shutdownGrace = 30 * time.Second

// shutdown lets in-flight requests (uploads) finish for up to shutdownGrace.
// An upload cut short is discarded by the store (temporary blob removed), never
// half-stored.
func shutdown(servers []*http.Server) {
	ctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	for _, s := range servers {
		s.Shutdown(ctx)
	}
	// Cut the connections still open: their handlers see the request fail
	// and discard what they stored (waitInflight waits for that).
	for _, s := range servers {
		s.Close()
	}
}

// waitInflight waits, for at most shutdownGrace, for the handlers still
// running after shutdown to return.
func waitInflight(wg *sync.WaitGroup) {
	done := make(chan struct{})
	go func() {
		wg.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
	}
}

// listenLoopback listens on addr and checks the address actually bound: a
// name such as "localhost" could resolve elsewhere through /etc/hosts.
func listenLoopback(addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("serve: unable to listen on %s: %w", addr, err)
	}
	if ta, ok := ln.Addr().(*net.TCPAddr); !ok || !ta.IP.IsLoopback() {
		ln.Close()
		return nil, withHint(fmt.Errorf("serve: refusing to serve on %s (from %q): not a loopback address", ln.Addr(), addr),
			"Candor listens only on loopback; tor carries the traffic")
	}
	return ln, nil
}

func requireLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("serve: bad listen address %q: %w", addr, err)
	}
	ip := net.ParseIP(host)
	if host == "localhost" || (ip != nil && ip.IsLoopback()) {
		return nil
	}
	return withHint(fmt.Errorf("serve: refusing to listen on %q: not a loopback address", addr),
		"Candor listens only on loopback; tor carries the traffic")
}
