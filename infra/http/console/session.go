package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/ticketledger/ticketledger/infra/auth"
)

// Cookie names. The session cookie carries only an opaque random id; the
// credential stays on the server.
const (
	sessionCookie = "tl_session"
	csrfField     = "csrf"
)

// maxSessions bounds the session store: past it the oldest sessions end.
const maxSessions = 10_000

// session is one signed-in browser. Its credential (a ledger token's
// secret or an OIDC JWT) is what every API call presents, so the API
// decides, on each request, what the session may see and do.
type session struct {
	id         string
	credential string
	principal  auth.Principal
	csrf       string
	created    time.Time
	expires    time.Time // the earliest of the TTL and the credential's expiry
	mu         sync.Mutex
	lastSeen   time.Time
	flash      *flash // shown once, on the next page
}

// setFlash keeps a message for the next page the session sees.
func (s *session) setFlash(msg flash) {
	s.mu.Lock()
	s.flash = &msg
	s.mu.Unlock()
}

// takeFlash returns the kept message, once.
func (s *session) takeFlash() *flash {
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.flash
	s.flash = nil
	return m
}

// checkCSRF compares a submitted CSRF token with the session's, in
// constant time.
func (s *session) checkCSRF(got string) bool {
	return s != nil && got != "" && subtle.ConstantTimeCompare([]byte(got), []byte(s.csrf)) == 1
}

// sessions is the server-side session store (in memory: a restart signs
// everyone out, and each replica has its own).
type sessions struct {
	ttl, idle time.Duration
	now       func() time.Time
	mu        sync.Mutex
	m         map[string]*session
}

func newSessions(ttl, idle time.Duration, now func() time.Time) *sessions {
	if ttl <= 0 {
		ttl = DefaultSessionTTL
	}
	if idle <= 0 {
		idle = DefaultIdleTimeout
	}
	return &sessions{ttl: ttl, idle: idle, now: now, m: map[string]*session{}}
}

// randomToken returns n random bytes, base64url-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// create starts a session for p, authenticated by credential.
func (ss *sessions) create(credential string, p auth.Principal) *session {
	now := ss.now()
	s := &session{id: randomToken(32), credential: credential, principal: p, csrf: randomToken(32),
		created: now, lastSeen: now, expires: now.Add(ss.ttl)}
	if !p.ExpiresAt.IsZero() && p.ExpiresAt.Before(s.expires) {
		s.expires = p.ExpiresAt
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	ss.evictLocked(now)
	ss.m[s.id] = s
	return s
}

// evictLocked drops ended sessions and, past maxSessions, the oldest.
func (ss *sessions) evictLocked(now time.Time) {
	if len(ss.m) < maxSessions {
		return
	}
	var oldest *session
	for id, s := range ss.m {
		if ss.ended(s, now) {
			delete(ss.m, id)
		} else if oldest == nil || s.created.Before(oldest.created) {
			oldest = s
		}
	}
	if len(ss.m) >= maxSessions && oldest != nil {
		delete(ss.m, oldest.id)
	}
}

func (ss *sessions) ended(s *session, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return !now.Before(s.expires) || now.Sub(s.lastSeen) >= ss.idle
}

// get returns the live session of id, touching it; errSessionEnded when
// it expired or idled out (and is dropped), errNoSession when unknown.
func (ss *sessions) get(id string) (*session, error) {
	now := ss.now()
	ss.mu.Lock()
	s := ss.m[id]
	ss.mu.Unlock()
	if s == nil {
		return nil, errNoSession
	}
	if ss.ended(s, now) {
		ss.end(id)
		return nil, errSessionEnded
	}
	s.mu.Lock()
	s.lastSeen = now
	s.mu.Unlock()
	return s, nil
}

// end drops a session.
func (ss *sessions) end(id string) {
	ss.mu.Lock()
	delete(ss.m, id)
	ss.mu.Unlock()
}

var (
	errNoSession      = errors.New("not signed in")
	errSessionEnded   = errors.New("the session ended: sign in again")
	errCredentialGone = errors.New("the credential of the session is no longer valid (revoked or expired): sign in again")
)

// sessionOf returns the request's session: its cookie names a live
// session whose credential still authenticates. A session whose token was
// revoked or expired ends here, on its next request.
func (c *Console) sessionOf(w http.ResponseWriter, r *http.Request) (*session, error) {
	ck, err := r.Cookie(sessionCookie)
	if err != nil || ck.Value == "" {
		return nil, errNoSession
	}
	s, err := c.sessions.get(ck.Value)
	if err != nil {
		c.clearCookie(w, r, sessionCookie, "/")
		return nil, err
	}
	if _, err := c.authenticate(r, s.credential); err != nil {
		c.sessions.end(s.id)
		c.clearCookie(w, r, sessionCookie, "/")
		return nil, errCredentialGone
	}
	return s, nil
}

// authenticate checks a credential with the API's authenticator, as a
// bearer token from the request's source (the same rate limit on failures).
func (c *Console) authenticate(r *http.Request, credential string) (auth.Principal, error) {
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, "/", nil)
	if err != nil {
		return auth.Principal{}, err
	}
	req.RemoteAddr = r.RemoteAddr
	req.Header.Set("Authorization", "Bearer "+credential)
	return c.auth.Authenticate(req)
}

// setCookie sets a console cookie: HttpOnly, Secure under TLS (or when
// Config.Secure says a TLS proxy is in front).
func (c *Console) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge time.Duration, same http.SameSite) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: int(maxAge / time.Second),
		HttpOnly: true, Secure: c.secure || r.TLS != nil, SameSite: same})
}

func (c *Console) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true, Secure: c.secure || r.TLS != nil,
		SameSite: http.SameSiteStrictMode})
}

// startSession signs the browser in as p and sends it on to next.
func (c *Console) startSession(w http.ResponseWriter, r *http.Request, credential string, p auth.Principal, next string) {
	s := c.sessions.create(credential, p)
	c.setCookie(w, r, sessionCookie, s.id, "/", s.expires.Sub(c.now()), http.SameSiteStrictMode)
	http.Redirect(w, r, next, http.StatusSeeOther)
}
