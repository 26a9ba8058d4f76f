package journalist

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"
	"github.com/sethvargo/go-diceware/diceware"
	"golang.org/x/crypto/argon2"

	"github.com/candor-drop/candor/store"
)

// argonParams are the Argon2id parameters of reviewer passwords.
type argonParams struct {
	memoryKiB uint32
	time      uint32
	threads   uint8
}

// DefaultPasswordParams: m=64 MiB, t=4, p=2 (RFC 9106 §4's second
// recommended option raised from t=3 to t=4: only a few logins a day).
var defaultArgon = argonParams{memoryKiB: 64 * 1024, time: 4, threads: 2}

// passwordParams is what new hashes use; tests lower it.
var passwordParams = defaultArgon

// Limits applied before any Argon2id work.
const (
	maxUsernameBytes   = 64
	maxPassphraseBytes = 1024
	passwordWords      = 8 // EFF large list: about 103 bits
	loginAttemptsLimit = 5 // per account per minute
	totpPeriod         = 30
)

// hashSem bounds concurrent Argon2id computations (64 MiB each).
var hashSem = make(chan struct{}, 2)

// Login errors. The message of errLoginFailed is the same for an unknown
// user, a wrong passphrase, a wrong code and a reused code.
var (
	errLoginFailed = errors.New("Login failed: the user name, passphrase or two-factor code is wrong. Wait for a new code before trying again.")
	errThrottled   = errors.New("Too many login attempts for this account. Wait a minute, then try again.")
)

// HashPassword returns the Argon2id PHC string of a passphrase.
func HashPassword(passphrase string) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("journalist: unable to hash passphrase: %w", err)
	}
	p := passwordParams
	hashSem <- struct{}{}
	key := argon2.IDKey([]byte(passphrase), salt, p.time, p.memoryKiB, p.threads, 32)
	<-hashSem
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.memoryKiB, p.time, p.threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// verifyPassword checks a passphrase against a PHC string in constant time.
func verifyPassword(phc, passphrase string) bool {
	parts := strings.Split(phc, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var p argonParams
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.memoryKiB, &p.time, &p.threads); err != nil {
		return false
	}
	if p.memoryKiB == 0 || p.memoryKiB > 1<<20 || p.time == 0 || p.time > 64 || p.threads == 0 {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	hashSem <- struct{}{}
	got := argon2.IDKey([]byte(passphrase), salt, p.time, p.memoryKiB, p.threads, uint32(len(want)))
	<-hashSem
	return subtle.ConstantTimeCompare(got, want) == 1
}

var (
	dummyMu     sync.Mutex
	dummyHash   string
	dummyParams argonParams
)

// dummyVerify spends the same Argon2id work as a real check, for unknown
// user names.
func dummyVerify(passphrase string) {
	dummyMu.Lock()
	if dummyHash == "" || dummyParams != passwordParams {
		h, err := HashPassword("candor dummy passphrase for timing")
		if err != nil {
			dummyMu.Unlock()
			panic("journalist: unable to make the dummy hash: " + err.Error())
		}
		dummyHash, dummyParams = h, passwordParams
	}
	h := dummyHash
	dummyMu.Unlock()
	verifyPassword(h, passphrase)
}

// totpStep is the RFC 6238 time step of t.
func totpStep(t time.Time) int64 { return t.Unix() / totpPeriod }

var totpOpts = totp.ValidateOpts{Period: totpPeriod, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1}

// matchTOTP returns the time step (now-1 … now+1) whose code is code.
func matchTOTP(secret, code string, now time.Time) (int64, bool) {
	code = strings.ReplaceAll(strings.TrimSpace(code), " ", "")
	if len(code) != 6 {
		return 0, false
	}
	cur := totpStep(now)
	found, step := false, int64(0)
	for d := int64(-1); d <= 1; d++ {
		c, err := totp.GenerateCodeCustom(secret, time.Unix((cur+d)*totpPeriod, 0), totpOpts)
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(c), []byte(code)) == 1 && !found {
			found, step = true, cur+d
		}
	}
	return step, found
}

// authenticate checks a login. It returns the reviewer, errThrottled or
// errLoginFailed (for every other failure, including unknown user names).
func (s *Server) authenticate(ctx context.Context, username, passphrase, code string) (*store.Reviewer, error) {
	now := s.now()
	if len(username) > maxUsernameBytes || len(passphrase) > maxPassphraseBytes {
		return nil, errLoginFailed
	}
	r, err := s.st.ReviewerByName(ctx, username)
	if errors.Is(err, store.ErrNotFound) {
		if s.throttleUnknown(username, now) {
			return nil, errThrottled
		}
		dummyVerify(passphrase)
		return nil, errLoginFailed
	}
	if err != nil {
		return nil, err
	}
	release, ok, err := s.reserveAttempt(ctx, r.ID, now)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, errThrottled
	}
	// The attempt is written while Argon2id runs, so that its disk sync
	// does not make a known user name slower to answer than an unknown one.
	recorded := make(chan error, 1)
	go func() { recorded <- s.st.RecordLoginAttempt(ctx, r.ID, now.Unix()); release() }()
	good := verifyPassword(r.PasswordHash, passphrase)
	if err := <-recorded; err != nil {
		return nil, err
	}
	if !good {
		return nil, errLoginFailed
	}
	step, ok := matchTOTP(r.TOTPSecret, code, now)
	if !ok {
		return nil, errLoginFailed
	}
	fresh, err := s.st.AcceptTOTPStep(ctx, r.ID, step)
	if err != nil {
		return nil, err
	}
	if !fresh {
		return nil, errLoginFailed
	}
	return r, nil
}

// reserveAttempt decides whether a known account may make one more login
// attempt: the attempts of the last minute in the database plus those
// still being recorded must be under the limit. Counting and reserving are
// one step under throttleMu, so parallel attempts cannot all pass on the
// same count. release is called once the attempt is in the database.
func (s *Server) reserveAttempt(ctx context.Context, id int64, now time.Time) (release func(), ok bool, err error) {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	n, err := s.st.LoginAttemptsSince(ctx, id, now.Unix()-59)
	if err != nil {
		return nil, false, err
	}
	if n+s.inflight[id] >= loginAttemptsLimit {
		return nil, false, nil
	}
	s.inflight[id]++
	return func() {
		s.throttleMu.Lock()
		defer s.throttleMu.Unlock()
		if s.inflight[id]--; s.inflight[id] <= 0 {
			delete(s.inflight, id)
		}
	}, true, nil
}

// throttleUnknown applies the per-account limit to user names that do not
// exist, so that the throttle message does not tell them apart. Memory only.
func (s *Server) throttleUnknown(username string, now time.Time) bool {
	s.throttleMu.Lock()
	defer s.throttleMu.Unlock()
	if len(s.unknown) > 10000 {
		clear(s.unknown)
	}
	var recent []int64
	for _, t := range s.unknown[username] {
		if t > now.Unix()-60 {
			recent = append(recent, t)
		}
	}
	if len(recent) >= loginAttemptsLimit {
		s.unknown[username] = recent
		return true
	}
	s.unknown[username] = append(recent, now.Unix())
	return false
}

// Credentials are what a new or reset reviewer is told, once.
type Credentials struct {
	Username   string `json:"username"`
	Passphrase string `json:"passphrase"`
	TOTPSecret string `json:"totp_secret"`
	TOTPURI    string `json:"totp_uri"`
	// ClientAuth is the line for the reviewer's ClientOnionAuthDir file
	// ("<onion id>:descriptor:x25519:<key>"); empty when none was made.
	ClientAuth string `json:"client_auth,omitempty"`
	Admin      bool   `json:"admin"`
}

// newPassphrase makes a diceware passphrase from the EFF large wordlist.
func newPassphrase() (string, error) {
	words, err := diceware.Generate(passwordWords)
	if err != nil {
		return "", fmt.Errorf("journalist: unable to generate a passphrase: %w", err)
	}
	return strings.Join(words, " "), nil
}

// newTOTP makes a TOTP secret and its otpauth:// URI.
func (s *Server) newTOTP(ctx context.Context, username string) (secret, uri string, err error) {
	issuer := "Candor"
	if st, err := s.st.Settings(ctx); err == nil && st.OrganisationName != "" {
		issuer = st.OrganisationName
	}
	k, err := totp.Generate(totp.GenerateOpts{
		Issuer: issuer, AccountName: username, Period: totpPeriod,
		SecretSize: 20, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return "", "", fmt.Errorf("journalist: unable to generate a TOTP secret: %w", err)
	}
	return k.Secret(), k.URL(), nil
}

// validUsername: 1–64 bytes of letters, digits, '.', '-' or '_'.
func validUsername(u string) bool {
	if u == "" || len(u) > maxUsernameBytes {
		return false
	}
	for _, c := range u {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// ErrBadUsername: the user name is not 1–64 letters, digits, '.', '-' or '_'.
var ErrBadUsername = errors.New("journalist: user name must be 1-64 letters, digits, '.', '-' or '_'")

// CreateReviewer makes a reviewer account with a generated passphrase, a
// TOTP secret and (if configured) a client-authorization key, and returns
// them: they are shown once and never again. actor is written to the audit
// log. A taken user name gives an error wrapping store.ErrExists.
func (s *Server) CreateReviewer(ctx context.Context, actor, username string, admin bool) (*Credentials, error) {
	if !validUsername(username) {
		return nil, ErrBadUsername
	}
	pass, err := newPassphrase()
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(pass)
	if err != nil {
		return nil, err
	}
	secret, uri, err := s.newTOTP(ctx, username)
	if err != nil {
		return nil, err
	}
	c := &Credentials{Username: username, Passphrase: pass, TOTPSecret: secret, TOTPURI: uri, Admin: admin}
	var pub string
	if s.newClientAuth != nil {
		pub, c.ClientAuth, err = s.newClientAuth()
		if err != nil {
			return nil, fmt.Errorf("journalist: unable to make a client authorization key: %w", err)
		}
	}
	if _, err := s.st.AddReviewer(ctx, store.Reviewer{
		Username: username, PasswordHash: hash, TOTPSecret: secret, Admin: admin,
		ClientAuthPublic: pub, CreatedDay: s.today(),
	}); err != nil {
		return nil, err
	}
	s.audit(ctx, actor, "reviewer added", fmt.Sprintf("user=%s admin=%t", username, admin))
	return c, nil
}

// ResetReviewer gives a reviewer a new passphrase and TOTP secret and ends
// all their sessions. The client-authorization key is kept.
func (s *Server) ResetReviewer(ctx context.Context, actor string, id int64) (*Credentials, error) {
	r, err := s.st.Reviewer(ctx, id)
	if err != nil {
		return nil, err
	}
	pass, err := newPassphrase()
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(pass)
	if err != nil {
		return nil, err
	}
	secret, uri, err := s.newTOTP(ctx, r.Username)
	if err != nil {
		return nil, err
	}
	if err := s.st.ResetReviewerCredentials(ctx, id, hash, secret); err != nil {
		return nil, err
	}
	s.audit(ctx, actor, "reviewer passphrase and TOTP reset", "user="+r.Username)
	return &Credentials{Username: r.Username, Passphrase: pass, TOTPSecret: secret, TOTPURI: uri, Admin: r.Admin}, nil
}

// errLastAdmin: removing or demoting the only admin would lock everyone
// out of the admin functions.
var errLastAdmin = userError("last_admin", 409, "This is the only admin; make another reviewer an admin first.", nil)

// isLastAdmin reports whether r is the only admin.
func (s *Server) isLastAdmin(ctx context.Context, r *store.Reviewer) (bool, error) {
	if !r.Admin {
		return false, nil
	}
	all, err := s.st.Reviewers(ctx)
	if err != nil {
		return false, err
	}
	n := 0
	for _, x := range all {
		if x.Admin {
			n++
		}
	}
	return n == 1, nil
}

// RemoveReviewer deletes a reviewer, their sessions and their
// client-authorization key (tor stops accepting it when it re-reads the
// keys). The only admin cannot be removed.
func (s *Server) RemoveReviewer(ctx context.Context, actor string, id int64) error {
	r, err := s.st.Reviewer(ctx, id)
	if err != nil {
		return err
	}
	if last, err := s.isLastAdmin(ctx, r); err != nil {
		return err
	} else if last {
		return errLastAdmin
	}
	if err := s.st.DeleteReviewer(ctx, id); err != nil {
		return err
	}
	s.audit(ctx, actor, "reviewer removed", "user="+r.Username)
	return nil
}

// SetAdmin grants or withdraws the admin role; the only admin keeps it.
func (s *Server) SetAdmin(ctx context.Context, actor string, id int64, admin bool) error {
	r, err := s.st.Reviewer(ctx, id)
	if err != nil {
		return err
	}
	if !admin {
		if last, err := s.isLastAdmin(ctx, r); err != nil {
			return err
		} else if last {
			return errLastAdmin
		}
	}
	if err := s.st.SetReviewerAdmin(ctx, id, admin); err != nil {
		return err
	}
	s.audit(ctx, actor, "reviewer admin role set", fmt.Sprintf("user=%s admin=%t", r.Username, admin))
	return nil
}
