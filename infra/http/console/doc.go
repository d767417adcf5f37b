// Package console is the compliance console: the ledger in a browser,
// served by `ticketledger serve` at / beside the HTTP API (/v1).
//
// Pages are server-rendered html/template documents from embedded assets
// (assets/templates, assets/static): no build step, nothing fetched from
// the internet at run time, and one small script of our own (times in the
// viewer's zone) that the pages work without.
//
// Every page reads and acts through the API's own handler, in process, as
// the signed-in principal: the API's authentication, tenancy (a partner
// never sees another partner's ticket, and a hidden ticket answers exactly
// as a missing one), role checks and domain rules are the console's, with
// no second copy. The console adds only what a browser needs:
//
//   - sign-in with a ledger token (the same tokens as the API) or, where
//     configured, OpenID Connect (authorization code with PKCE); a
//     server-side session whose opaque id is an HttpOnly, SameSite=Strict
//     cookie (Secure under TLS), that never outlives its credential and
//     ends when the token is revoked (re-checked on every request);
//   - CSRF protection: a synchronizer token bound to the session on every
//     POST form, plus the browser's Sec-Fetch-Site/Origin check;
//   - a strict Content-Security-Policy (default-src 'self', no inline
//     script or style, frame-ancestors 'none') and the other security
//     headers on every page.
//
// Each page lives in a file of its own (tickets.go, ticket.go, …) with a
// template of the same name under assets/templates; the route table and
// the navigation are in console.go and layout.go.
package console
