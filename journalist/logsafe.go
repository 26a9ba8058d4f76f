package journalist

import (
	"errors"
	"net"
)

// logErr is err as it may go into the log: a network error's text names
// both ends of the connection (the client's address and port), so of
// that only the operation is kept.
func logErr(err error) any {
	var op *net.OpError
	if errors.As(err, &op) {
		return "client connection: " + op.Op + " failed"
	}
	return err
}
