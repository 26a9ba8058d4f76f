// Package tor runs Candor's two v3 onion services through the system tor
// binary, using github.com/cretz/bine for the process and the control port.
// Nothing else in Candor imports bine; its quirks stay in this package.
//
// Security properties:
//
//   - Tor is started with a configuration generated here (SocksPort 0, its
//     own DataDirectory inside the instance, cookie-authenticated control
//     port on 127.0.0.1 chosen by tor) plus, appended, the lines of an
//     operator-supplied torrc file. A default configuration is never used.
//   - Both services forward only to loopback targets; Start refuses any
//     other target address.
//   - The source service is published with tor's proof-of-work DoS defence
//     turned on when tor supports it (Tor.PoW reports whether it is on).
//   - The journalist service is published with v3 client authorization:
//     only clients holding one of the reviewers' x25519 keys can fetch its
//     descriptor. With no reviewer key it is not published at all (never
//     published without client authorization). The set of keys is
//     re-read every PollInterval (and on Reload); when it changes, the
//     service is deleted, which closes its circuits, and published again
//     with the same onion key, so a revoked reviewer can no longer connect.
//   - Onion service keys are kept in 0600 files created with O_EXCL, so the
//     addresses survive restarts; tor receives them over the control port
//     with Flags=DiscardPK and never writes them to its data directory.
//   - Tor is tied to this process: it is killed when this process dies
//     (Pdeathsig), it exits when the control connection closes
//     (TAKEOWNERSHIP) and it watches this process' PID
//     (__OwningControllerProcess). Done is closed when tor exits, so that
//     the caller can stop serving: nothing should go on answering once the
//     onion services are gone.
//   - Tor's own output (warnings and errors only) is passed to the logger
//     without tor's timestamps; tor scrubs client addresses from it
//     (SafeLogging is on by default).
package tor
