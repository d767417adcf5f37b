package console

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain/principal"
	"github.com/ticketledger/ticketledger/infra/auth"
)

// signinCookie carries the sign-in form's CSRF token before there is a
// session (double submit: cookie and hidden field must match), so no other
// site can sign a browser in as someone else.
const signinCookie = "tl_signin"

// signinData is the sign-in page.
type signinData struct {
	Next    string
	Message string
	OIDC    bool
	Token   string // the form's CSRF token
}

// signinPage shows the sign-in form.
func (c *Console) signinPage(w http.ResponseWriter, r *http.Request, s *session) error {
	next := localPath(r.URL.Query().Get("next"))
	if s != nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return nil
	}
	msg := ""
	switch r.URL.Query().Get("why") {
	case "ended":
		msg = "Your session ended: sign in again."
	case "revoked":
		msg = "Your token is no longer valid (revoked or expired): sign in with a current one."
	case "signedout":
		msg = "You are signed out."
	}
	return c.showSignin(w, r, http.StatusOK, next, msg)
}

func (c *Console) showSignin(w http.ResponseWriter, r *http.Request, status int, next, msg string) error {
	tok := randomToken(24)
	c.setCookie(w, r, signinCookie, tok, "/signin", 30*time.Minute, http.SameSiteStrictMode)
	return c.render(w, r, status, "signin", nil, "Sign in", signinData{Next: next, Message: msg, OIDC: c.oidc != nil, Token: tok})
}

// signin checks the submitted token with the API's authenticator and
// starts a session for its principal.
func (c *Console) signin(w http.ResponseWriter, r *http.Request, _ *session) error {
	next := localPath(r.PostFormValue("next"))
	ck, err := r.Cookie(signinCookie)
	if err != nil || ck.Value == "" || subtle.ConstantTimeCompare([]byte(ck.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		return c.showSignin(w, r, http.StatusForbidden, next,
			"The sign-in form expired or was not sent from this console: sign in again from this page.")
	}
	token := strings.TrimSpace(r.PostFormValue("token"))
	if token == "" {
		return c.showSignin(w, r, http.StatusBadRequest, next,
			"Enter a token: an admin issues one with `ticketledger tokens create`; serve --demo prints one.")
	}
	p, err := c.authenticate(r, token)
	if err != nil {
		return c.showSignin(w, r, signinStatus(err), next, signinRefusal(err))
	}
	if msg := unfitForConsole(p); msg != "" {
		return c.showSignin(w, r, http.StatusForbidden, next, msg)
	}
	c.clearCookie(w, r, signinCookie, "/signin")
	c.startSession(w, r, token, p, next)
	return nil
}

// unfitForConsole says why a principal cannot use the console ("" when it
// can): metrics-only and replica tokens do nothing here.
func unfitForConsole(p auth.Principal) string {
	switch {
	case p.MetricsOnly():
		return "This token may only scrape /metrics: sign in with a token of a role that reads or acts."
	case p.Scope == principal.ScopeReplica:
		return "A replica token works only on the KurrentDB endpoint: sign in with a token issued for people."
	}
	return ""
}

func signinStatus(err error) int {
	var d *auth.Denied
	if errors.As(err, &d) && d.Status == http.StatusTooManyRequests {
		return http.StatusTooManyRequests
	}
	return http.StatusUnauthorized
}

// signinRefusal is the sign-in page's answer to a refused token: what the
// authenticator tells any caller (never which part was wrong).
func signinRefusal(err error) string {
	var d *auth.Denied
	if errors.As(err, &d) {
		msg := "That token was refused: " + d.Public() + "."
		if d.Status == http.StatusTooManyRequests {
			msg += " Wait " + words(d.RetryAfter) + " before trying again."
		}
		return msg
	}
	return "That token was refused: check it and try again."
}

// signout ends the session.
func (c *Console) signout(w http.ResponseWriter, r *http.Request, s *session) error {
	c.sessions.end(s.id)
	c.clearCookie(w, r, sessionCookie, "/")
	http.Redirect(w, r, "/signin?why=signedout", http.StatusSeeOther)
	return nil
}

// toSignin answers a request without a live session: a redirect to the
// sign-in page, which then sends the viewer back.
func (c *Console) toSignin(w http.ResponseWriter, r *http.Request, why error) {
	q := url.Values{}
	if r.Method == http.MethodGet {
		q.Set("next", r.URL.RequestURI())
	}
	switch {
	case errors.Is(why, errCredentialGone):
		q.Set("why", "revoked")
	case errors.Is(why, errSessionEnded):
		q.Set("why", "ended")
	}
	http.Redirect(w, r, "/signin?"+q.Encode(), http.StatusSeeOther)
}

// localPath returns p when it is a path on this console, else /tickets:
// a sign-in never redirects off-site.
func localPath(p string) string {
	if p == "" || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") ||
		strings.ContainsAny(p, "\r\n") {
		return "/tickets"
	}
	if u, err := url.Parse(p); err != nil || u.Host != "" || u.Scheme != "" {
		return "/tickets"
	}
	return p
}
