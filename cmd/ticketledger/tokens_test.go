package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// tokens create/list/revoke with --token-file, then TICKETLEDGER_TOKEN and
// the config file; no token and a revoked token exit 8.
func TestTokensCommands(t *testing.T) {
	e := newEnv(t)
	e.seedPartner()
	alice := filepath.Join(t.TempDir(), "alice.token")
	e.ok("--token-file", e.adminFile, "tokens", "create", "--role", "indirect_provider", "--partner", "contoso",
		"--name", "alice@contoso.example", "--expires", "30d", "--out", alice)
	if st, err := os.Stat(alice); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("token file: %v %v", st, err)
	}
	out := e.ok("--token-file", alice, "list")
	contains(t, out, "STATUS")

	// TICKETLEDGER_TOKEN.
	secret, _ := os.ReadFile(alice)
	t.Setenv("TICKETLEDGER_TOKEN", strings.TrimSpace(string(secret)))
	out = e.ok(openArgsNoActor()...)
	contains(t, out, "accepted")
	// Not an admin: the token routes refuse (exit 6).
	e.fails(6, "admin", "tokens", "list")
	t.Setenv("TICKETLEDGER_TOKEN", "")

	var list struct {
		Tokens []struct {
			TokenID string `json:"tokenId"`
			ActorID string `json:"actorId"`
		} `json:"tokens"`
	}
	js := e.ok("--token-file", e.adminFile, "tokens", "list", "-o", "json")
	if err := json.Unmarshal([]byte(js), &list); err != nil || len(list.Tokens) != 2 || strings.Contains(js, "tl_") {
		t.Fatalf("tokens list: %v %s", err, js)
	}
	var aliceID string
	for _, tk := range list.Tokens {
		if strings.HasPrefix(tk.ActorID, "alice@contoso.example#") {
			aliceID = tk.TokenID
		}
	}
	e.ok("--token-file", e.adminFile, "tokens", "revoke", aliceID, "--reason", "left")
	e.fails(8, "revoked", "--token-file", alice, "list")

	// The config file is the last resort.
	cfg := filepath.Join(os.Getenv("XDG_CONFIG_HOME"), "ticketledger")
	os.MkdirAll(cfg, 0o700)
	admin, _ := os.ReadFile(e.adminFile)
	os.WriteFile(filepath.Join(cfg, "token"), admin, 0o600)
	e.ok("tokens", "list")

	// No token at all: exit 8 with what to do.
	os.Remove(filepath.Join(cfg, "token"))
	e.fails(8, "tokens create", "list")
	e.fails(2, "token file", "--token-file", filepath.Join(t.TempDir(), "missing"), "list")
}

// openArgsNoActor is openArgs without the proxy identity flags: the token
// says who acts.
func openArgsNoActor() []string {
	return []string{"open", "--customer", "fabrikam", "--product", "azure", "--severity", "A",
		"--title", "VMs down", "--contact-name", "Alice", "--contact-email", "alice@contoso.example", "--locale", "en-GB"}
}

// TestTokenFileRefusesWhatIsNotARegularFile: --out never opens (nor
// changes the mode of) a device, a pipe or a socket; a regular file is
// written owner-only.
func TestTokenFileRefusesWhatIsNotARegularFile(t *testing.T) {
	sock := filepath.Join(t.TempDir(), "s")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Skipf("no unix socket here: %v", err)
	}
	defer l.Close()
	if err := writeTokenFile(sock, "tl_x"); err == nil || !strings.Contains(err.Error(), "not a regular file") {
		t.Fatalf("a socket as --out: %v", err)
	}
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeTokenFile(file, "tl_x"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(file); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("the token file: %v %v", fi.Mode(), err)
	}
}
