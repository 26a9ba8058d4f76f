package main

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// A handler panic makes net/http log "http: panic serving ADDR: …". The
// server's log must carry neither the client address nor the panic value.
func TestServeErrorLogWithholdsDetails(t *testing.T) {
	var out bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&out, nil))
	srv := newHTTPServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		panic("CANARY-plaintext-in-panic")
	}), logger)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Close()
	resp, err := http.Get("http://" + ln.Addr().String() + "/")
	if err == nil {
		resp.Body.Close()
	}
	srv.Close()
	log := out.String()
	if !strings.Contains(log, "details withheld") {
		t.Fatalf("the error was not logged at all: %q", log)
	}
	if strings.Contains(log, "127.0.0.1") || strings.Contains(log, "CANARY") {
		t.Fatalf("server log leaks the client address or request data: %q", log)
	}
}

// Log lines carry no timestamp: one written while a source submits would
// otherwise record the exact time of their activity.
func TestServeLogHasNoTimestamp(t *testing.T) {
	var out bytes.Buffer
	newLogger(&out).Info("source: a submission was interrupted; nothing kept")
	line := out.String()
	if !strings.Contains(line, "submission was interrupted") {
		t.Fatalf("nothing logged: %q", line)
	}
	if strings.Contains(line, "time=") || regexp.MustCompile(`\d{2}:\d{2}:\d{2}`).MatchString(line) {
		t.Fatalf("log line carries a time: %q", line)
	}
}

// The listeners must end up on loopback whatever name they were given.
func TestListenLoopbackChecksBoundAddress(t *testing.T) {
	ln, err := listenLoopback("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln.Close()
	// Inside the test namespace only lo exists, so a wildcard listen binds
	// 0.0.0.0 (or ::), which is not loopback and must be refused.
	if ln, err := listenLoopback(":0"); err == nil {
		ln.Close()
		t.Fatal("a wildcard listener was accepted")
	}
	if err := requireLoopback("0.0.0.0:8080"); err == nil {
		t.Fatal("requireLoopback accepted 0.0.0.0")
	}
}

// Any package's network error is logged without the addresses in its text.
func TestServeLogWithholdsNetworkAddresses(t *testing.T) {
	var out bytes.Buffer
	err := fmt.Errorf("source: unable to read the request: %w", &net.OpError{
		Op: "read", Net: "tcp",
		Source: &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 33321},
		Addr:   &net.TCPAddr{IP: net.ParseIP("10.9.8.7"), Port: 53294},
		Err:    errors.New("connection reset by peer"),
	})
	newLogger(&out).Error("source: upload failed", "err", err)
	line := out.String()
	if !strings.Contains(line, "network read failed") {
		t.Fatalf("the error was not logged: %q", line)
	}
	if strings.Contains(line, "10.9.8.7") || strings.Contains(line, "33321") {
		t.Fatalf("log line names a network address: %q", line)
	}
}
