package console

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/ticketledger/ticketledger/domain"
)

//go:embed assets
var assets embed.FS

// navItem is one entry of the navigation bar.
type navItem struct{ Path, Label string }

// nav is the navigation bar, in order.
var nav = []navItem{
	{"/tickets", "Tickets"},
	{"/sla", "SLA"},
	{"/audit", "Audit"},
	{"/integrity", "Integrity"},
}

// pages holds one template set per page: the shared layout
// (templates/layout.html) with the page's own file (templates/NAME.html)
// defining "content".
type pages struct{ m map[string]*template.Template }

func loadPages() (*pages, error) {
	base, err := template.New("layout.html").Funcs(funcs()).ParseFS(assets, "assets/templates/layout.html")
	if err != nil {
		return nil, fmt.Errorf("console: layout template: %w", err)
	}
	files, err := fs.Glob(assets, "assets/templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{m: map[string]*template.Template{}}
	for _, f := range files {
		name := strings.TrimSuffix(path.Base(f), ".html")
		if name == "layout" {
			continue
		}
		t, err := template.Must(base.Clone()).ParseFS(assets, f)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", f, err)
		}
		p.m[name] = t
	}
	return p, nil
}

// assetHandler serves the stylesheet and script (immutable for a build:
// cached for a day).
func assetHandler() http.Handler {
	sub, _ := fs.Sub(assets, "assets/static")
	fsrv := http.FileServerFS(sub)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		fsrv.ServeHTTP(w, r)
	})
}

// view is what the layout renders around a page's content.
type view struct {
	Title  string
	Nav    []navItem
	Active string
	User   *userView
	CSRF   string
	Zone   *time.Location
	Data   any
	// Refresh, when set, moves the browser on to this console path.
	Refresh string
}

// userView is the signed-in principal as the layout shows it.
type userView struct {
	ID, Role, Partner string
	// Acts is whether the role may change anything (an auditor may not):
	// the pages show action controls only when it is set.
	Acts bool
}

func userOf(s *session) *userView {
	if s == nil {
		return nil
	}
	p := s.principal
	return &userView{ID: p.ID, Role: string(p.Role), Partner: p.Partner,
		Acts: p.Role != domain.RoleAuditor && p.Role != domain.RoleAdmin}
}

// render writes page name with data in the layout, buffered so a
// template error never sends half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, status int, name string, s *session, title string, data any) error {
	t := c.pages.m[name]
	if t == nil {
		return fmt.Errorf("console: no template %q", name)
	}
	v := view{Title: title, Nav: nav, Active: activeNav(r.URL.Path), User: userOf(s), Zone: zoneOf(r), Data: data}
	if s != nil {
		v.CSRF = s.csrf
	}
	if to, ok := data.(refresh); ok {
		v.Refresh = localPath(string(to))
	}
	var b bytes.Buffer
	if err := t.ExecuteTemplate(&b, "layout.html", v); err != nil {
		return fmt.Errorf("console: render %s: %w", name, err)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, err := w.Write(b.Bytes())
	return err
}

func activeNav(p string) string {
	for _, n := range nav {
		if p == n.Path || strings.HasPrefix(p, n.Path+"/") {
			return n.Path
		}
	}
	return ""
}

// pageError is an error page: a status and what to tell the viewer.
type pageError struct {
	Status        int
	Title, Detail string
	Rule, Field   string
	CorrelationID string
}

func (e *pageError) Error() string { return e.Title + ": " + e.Detail }

var (
	errInternal    = &pageError{Status: http.StatusInternalServerError, Title: "Something went wrong", Detail: "an internal error occurred; it was logged"}
	errCSRF        = &pageError{Status: http.StatusForbidden, Title: "Form expired", Detail: "this form was not sent from your current session (CSRF check): reload the page and send it again"}
	errCrossOrigin = &pageError{Status: http.StatusForbidden, Title: "Cross-origin request refused", Detail: "forms are accepted only from this console's own pages"}
)

// pageErrorOf maps an error to its page: an API problem keeps its status,
// rule and detail (a hidden ticket reads exactly as a missing one, as in
// the API); anything else is an internal error.
func pageErrorOf(err error) *pageError {
	var pe *pageError
	if errors.As(err, &pe) {
		return pe
	}
	var ae *apiError
	if errors.As(err, &ae) {
		p := ae.Problem
		e := &pageError{Status: p.Status, Title: p.Title, Detail: p.Detail, Rule: p.Rule, Field: p.Field}
		if p.Status >= 500 {
			e.CorrelationID = p.CorrelationID
		}
		return e
	}
	return errInternal
}

// renderError renders err's page.
func (c *Console) renderError(w http.ResponseWriter, r *http.Request, s *session, err error) {
	pe := pageErrorOf(err)
	if pe == errInternal {
		c.log.Error("console: request failed", "path", r.URL.Path, "err", err)
	}
	if rerr := c.render(w, r, pe.Status, "error", s, pe.Title, pe); rerr != nil {
		c.log.Error("console: error page", "err", rerr)
		http.Error(w, pe.Title, pe.Status)
	}
}

// planned is the page of a section not built yet: it says where the API
// answers the same question meanwhile.
func (c *Console) planned(w http.ResponseWriter, r *http.Request, s *session) error {
	api := map[string]string{"/sla": "/v1/reports/sla, /v1/reports/at-risk and /v1/reports/what-if",
		"/audit": "/v1/audit", "/integrity": "/v1/tickets/{id}/evidence/verification and /v1/audit/tree-head"}[r.URL.Path]
	return c.render(w, r, http.StatusOK, "planned", s, "Not in the console yet", api)
}
