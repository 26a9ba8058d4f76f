package tortest

import (
	"context"
	"encoding/base32"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/cretz/bine/control"
)

// Client is a client tor of the network with a SOCKS port.
type Client struct {
	name    string
	socks   string
	control string
	p       *proc
}

// ControlAddr is the client's control port (cookie authentication), for
// programs that publish their own onion services through it.
func (c *Client) ControlAddr() string { return c.control }

// SocksAddr is the client's SOCKS5 address (127.0.0.1:port). Its SOCKS
// port has ExtendedErrors on, so onion failures come back as SOCKSError.
func (c *Client) SocksAddr() string { return c.socks }

// AddClientAuth gives the running client a client authorization key for
// an onion service (ONION_CLIENT_AUTH_ADD over its control port).
func (c *Client) AddClientAuth(ctx context.Context, a ClientAuth) error {
	raw, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(a.PrivateKey))
	if err != nil || len(raw) != 32 {
		return errors.New("tortest: client authorization key is not 52 base32 characters")
	}
	var d net.Dialer
	nc, err := d.DialContext(ctx, "tcp", c.control)
	if err != nil {
		return fmt.Errorf("tortest: unable to reach the control port: %w", err)
	}
	conn := control.NewConn(textproto.NewConn(nc))
	defer conn.Close()
	if err := conn.Authenticate(""); err != nil {
		return fmt.Errorf("tortest: unable to authenticate to the control port: %w", err)
	}
	resp, err := conn.SendRequest("ONION_CLIENT_AUTH_ADD %s x25519:%s", a.OnionID, base64.StdEncoding.EncodeToString(raw))
	// 252: "Registered client and decrypted desc" — a success bine reports as an error.
	if err != nil && (resp == nil || resp.Err == nil || resp.Err.Code != 252) {
		return fmt.Errorf("tortest: ONION_CLIENT_AUTH_ADD: %w", err)
	}
	return nil
}

// Close stops this client's tor.
func (c *Client) Close() error { c.p.kill(); return nil }

// SOCKSError is a failed SOCKS5 CONNECT.
type SOCKSError struct{ Code byte }

// Tor's extended SOCKS error codes for onion services (tor(1), SocksPort
// ExtendedErrors).
const (
	CodeDescriptorNotFound   = 0xF0
	CodeIntroductionFailed   = 0xF2
	CodeRendezvousFailed     = 0xF3
	CodeMissingClientAuth    = 0xF4
	CodeWrongClientAuth      = 0xF5
	CodeIntroductionTimedOut = 0xF7
)

func (e *SOCKSError) Error() string {
	names := map[byte]string{
		CodeDescriptorNotFound:   "onion service descriptor not found",
		0xF1:                     "onion service descriptor invalid",
		CodeIntroductionFailed:   "onion service introduction failed",
		CodeRendezvousFailed:     "onion service rendezvous failed",
		CodeMissingClientAuth:    "onion service requires client authorization",
		CodeWrongClientAuth:      "onion service client authorization is wrong",
		0xF6:                     "invalid onion address",
		CodeIntroductionTimedOut: "onion service introduction timed out",
	}
	if s, ok := names[e.Code]; ok {
		return fmt.Sprintf("socks: %s (0x%X)", s, e.Code)
	}
	return fmt.Sprintf("socks: connect failed with code 0x%X", e.Code)
}

// SOCKSCode returns the SOCKS error code in err's chain, or 0.
func SOCKSCode(err error) byte {
	var se *SOCKSError
	if errors.As(err, &se) {
		return se.Code
	}
	return 0
}

// DialContext connects to addr ("host.onion:80") through the client's SOCKS
// port; the host name is resolved by tor.
func (c *Client) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || len(host) > 255 {
		return nil, fmt.Errorf("socks: bad address %q", addr)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.socks)
	if err != nil {
		return nil, err
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	if err := socksConnect(conn, host, port); err != nil {
		conn.Close()
		return nil, err
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

// socksConnect does a SOCKS5 CONNECT by domain name without authentication.
func socksConnect(rw io.ReadWriter, host string, port int) error {
	if _, err := rw.Write([]byte{5, 1, 0}); err != nil {
		return err
	}
	var b [4]byte
	if _, err := io.ReadFull(rw, b[:2]); err != nil {
		return err
	}
	if b[0] != 5 || b[1] != 0 {
		return errors.New("socks: proxy refused the no-authentication method")
	}
	req := append([]byte{5, 1, 0, 3, byte(len(host))}, host...)
	req = binary.BigEndian.AppendUint16(req, uint16(port))
	if _, err := rw.Write(req); err != nil {
		return err
	}
	if _, err := io.ReadFull(rw, b[:4]); err != nil {
		return err
	}
	if b[1] != 0 {
		return &SOCKSError{Code: b[1]}
	}
	var skip int
	switch b[3] {
	case 1:
		skip = 4
	case 4:
		skip = 16
	case 3:
		if _, err := io.ReadFull(rw, b[:1]); err != nil {
			return err
		}
		skip = int(b[0])
	default:
		return errors.New("socks: bad reply")
	}
	_, err := io.ReadFull(rw, make([]byte, skip+2))
	return err
}

// HTTPClient returns an HTTP client that goes through this tor client. It
// keeps cookies if jar is not nil... callers set Jar themselves.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:       c.DialContext,
			DisableKeepAlives: false,
			Proxy:             nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// WaitReachable retries a connection to addr ("x.onion:80") with a ~1 s
// pause until it succeeds: a just-published onion's descriptor may not be
// on the directories yet. It returns the last error when ctx ends, or at
// once on a client-authorization refusal (0xF4, 0xF5).
func (c *Client) WaitReachable(ctx context.Context, addr string) error {
	for {
		dctx, cancel := context.WithTimeout(ctx, 60*time.Second)
		conn, err := c.DialContext(dctx, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		if code := SOCKSCode(err); code == CodeMissingClientAuth || code == CodeWrongClientAuth {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("tortest: %s not reachable: %w (last: %v)", addr, ctx.Err(), err)
		case <-time.After(time.Second):
		}
	}
}
