package ledger

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ticketledger/ticketledger/infra/eventstore"
	"github.com/ticketledger/ticketledger/infra/integrity"
)

// TestRotateKeyWhileRunning: a running ledger rotates to a generated key
// written beside its key file (0600); it signs with the new key at once;
// restarting with the old key is refused, with the new one the whole log
// verifies and the keyring holds both keys, the old one retired.
func TestRotateKeyWhileRunning(t *testing.T) {
	ctx := context.Background()
	base := t.TempDir()
	dir, keyDir := filepath.Join(base, "data"), filepath.Join(base, "keys")
	if err := os.Mkdir(keyDir, 0o700); err != nil {
		t.Fatal(err)
	}
	oldKey, _ := integrity.GenerateSigningKey()
	oldFile := filepath.Join(keyDir, "ledger.key")
	if err := os.WriteFile(oldFile, oldKey.MarshalPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := Open(ctx, Config{DataDir: dir, NoSnapshots: true, SigningKeyFile: oldFile, SealInterval: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	register := func(id string) {
		t.Helper()
		if err := registerProvider(l, id); err != nil {
			t.Fatal(err)
		}
	}
	register("before")
	if _, err := Open(ctx, Config{DataDir: filepath.Join(base, "other"), NoSnapshots: true, SigningKeyFile: oldFile, NewKeyDir: filepath.Join(base, "other", "keys")}); !errors.Is(err, ErrRotation) || !strings.Contains(err.Error(), "--new-key-dir") {
		t.Fatalf("--new-key-dir inside the data directory: %v", err)
	}
	if _, err := l.RotateKey(ctx, RotateOptions{KeyFile: filepath.Join(dir, "new.key")}); !errors.Is(err, ErrRotation) || !strings.Contains(err.Error(), "inside the data directory") {
		t.Fatalf("a new key inside the data directory: %v", err)
	}
	rot, err := l.RotateKey(ctx, RotateOptions{Reason: "yearly"})
	if err != nil {
		t.Fatal(err)
	}
	if !rot.Generated || rot.KeyFile != filepath.Join(keyDir, "ledger-"+rot.New.ID+".key") || rot.Old.ID != oldKey.ID() || !rot.Old.Retired {
		t.Fatalf("rotation %+v", rot)
	}
	if fi, err := os.Stat(rot.KeyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("new key file: %v %v", fi, err)
	}
	if l.CurrentKey().ID() != rot.New.ID {
		t.Fatalf("signing with %s after the rotation", l.CurrentKey().ID())
	}
	register("after")
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}

	_, err = Open(ctx, Config{DataDir: dir, NoSnapshots: true, SigningKeyFile: oldFile})
	if !errors.Is(err, integrity.ErrKeyRetired) || !strings.Contains(err.Error(), rot.New.ID) {
		t.Fatalf("restart with the retired key: %v", err)
	}
	l, err = Open(ctx, Config{DataDir: dir, NoSnapshots: true, SigningKeyFile: rot.KeyFile})
	if err != nil {
		t.Fatalf("restart with the new key: %v", err)
	}
	defer l.Close()
	rep, err := integrity.VerifyLog(ctx, l.Raw, integrity.VerifyOptions{AllSignatures: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK() || len(rep.Keys) != 2 || !rep.Keys[0].Retired || rep.Keys[1].ID != rot.New.ID {
		t.Fatalf("after the rotation: keys %+v, problems %v", rep.Keys, rep.Problems)
	}
	recs, err := l.Raw.ReadStream(ctx, "partner-after", eventstore.Forwards, eventstore.StreamStart(), 10)
	if err != nil || len(recs) != 1 || !strings.Contains(string(recs[0].Metadata), `"sig":"`+rot.New.ID+":") {
		t.Fatalf("partner-after is not signed by the new key: %v %d records", err, len(recs))
	}
}

// TestRotateKeyNeedsAPlaceForTheKey: with the key from the environment
// there is no key directory: the rotation is refused until one is given,
// and nothing is recorded.
func TestRotateKeyNeedsAPlaceForTheKey(t *testing.T) {
	ctx := context.Background()
	key, _ := integrity.GenerateSigningKey()
	t.Setenv(integrity.KeyEnv, string(key.MarshalPEM()))
	dir := filepath.Join(t.TempDir(), "data")
	l, err := Open(ctx, Config{DataDir: dir, NoSnapshots: true, KeyFromEnv: true})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, err = l.RotateKey(ctx, RotateOptions{})
	if !errors.Is(err, ErrRotation) || !strings.Contains(err.Error(), "--new-key-dir") {
		t.Fatalf("rotation without a key directory: %v", err)
	}
	kr, err := integrity.LoadKeyring(ctx, l.Raw)
	if err != nil || kr.Len() != 1 {
		t.Fatalf("keyring after a refused rotation: %d keys, %v", kr.Len(), err)
	}
}
