package ledger

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ticketledger/ticketledger/domain"
	"github.com/ticketledger/ticketledger/domain/partner"
	"github.com/ticketledger/ticketledger/infra/app"
)

// sysCmd is a command of the ledger's system actor, the one that onboards
// partners in these tests.
var sysCmd = app.Command{Actor: domain.Actor{ID: "system", Role: domain.RoleSystem}}

// registerProvider registers partner id on l as an indirect provider
// named "P <id>" with support at s@<id>.example: one more event in the
// log. It returns the command's error (so a goroutine may call it too).
func registerProvider(l *Ledger, id string) error {
	_, err := l.Service.RegisterPartner(context.Background(), sysCmd, id, partner.Registration{Name: "P " + id, Role: domain.RoleIndirectProvider, Email: "s@" + id + ".example"})
	return err
}

// writeFile writes data to the file name in dir and returns its path;
// failing to fails t.
func writeFile(t *testing.T, dir, name, data string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
