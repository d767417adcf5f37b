package integrity

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/transparency-dev/formats/log"
	"golang.org/x/mod/sumdb/note"

	"github.com/ticketledger/ticketledger/infra/codec"
)

// DefaultOrigin is the checkpoint origin (and note key name) when none is
// configured. Deployments should name their ledger, e.g.
// "ledger.example.com/ticketledger".
const DefaultOrigin = "ticketledger"

// Head is a tree head: the first Size events of the global log have root
// Root, as signed by key KeyID at Time.
type Head struct {
	Origin string
	Size   uint64
	Root   []byte // 32 bytes
	Time   time.Time
	KeyID  string
}

// SignedHead is a Head with its C2SP checkpoint in the signed-note format.
type SignedHead struct {
	Head
	// Checkpoint is the signed note:
	//
	//	<origin>\n<size>\n<base64 root>\ntime <RFC 3339 UTC, seconds>\nkey <key id>\n
	//	\n— <origin> <base64(4-byte key hash || 64-byte Ed25519 signature)>\n
	//
	// The first three lines are the C2SP checkpoint; "time" and "key" are
	// extension lines. The signature is golang.org/x/mod/sumdb/note's
	// Ed25519 note signature, key name = origin.
	Checkpoint []byte
}

// SignHead signs h with key (h.KeyID and h.Time are set from key and
// truncated to seconds) and returns it as a checkpoint.
func SignHead(h Head, key *SigningKey) (SignedHead, error) {
	if h.Origin == "" {
		h.Origin = DefaultOrigin
	}
	h.KeyID = key.ID()
	h.Time = h.Time.UTC().Truncate(time.Second)
	body := log.Checkpoint{Origin: h.Origin, Size: h.Size, Hash: h.Root}.Marshal()
	body = fmt.Appendf(body, "time %s\nkey %s\n", h.Time.Format(time.RFC3339), h.KeyID)
	s, err := key.NoteSigner(h.Origin)
	if err != nil {
		return SignedHead{}, err
	}
	msg, err := note.Sign(&note.Note{Text: string(body)}, s)
	if err != nil {
		return SignedHead{}, fmt.Errorf("sign tree head: %w", err)
	}
	return SignedHead{Head: h, Checkpoint: msg}, nil
}

// ErrHead is wrapped by ParseHead's errors.
var ErrHead = errors.New("invalid signed tree head")

// ParseHead parses and verifies a checkpoint: the note must be signed, under
// the checkpoint's origin (origin, if not empty, must match), by the key its
// "key" line names, and that key must be in keys (the ledger's Keyring, or
// TrustedKeys to check a head against a key given out of band).
func ParseHead(b []byte, origin string, keys codec.KeyLookup) (SignedHead, error) {
	return parseHead(b, origin, keys)
}

func parseHead(b []byte, origin string, keys codec.KeyLookup) (SignedHead, error) {
	fail := func(format string, a ...any) (SignedHead, error) {
		return SignedHead{}, fmt.Errorf("%w: %s", ErrHead, fmt.Sprintf(format, a...))
	}
	text, _, ok := bytes.Cut(b, []byte("\n\n"))
	if !ok {
		return fail("not a signed note (no blank line before the signatures)")
	}
	var cp log.Checkpoint
	rest, err := cp.Unmarshal(append(text, '\n'))
	if err != nil {
		return fail("%v", err)
	}
	if origin != "" && cp.Origin != origin {
		return fail("origin %q, want %q", cp.Origin, origin)
	}
	h := Head{Origin: cp.Origin, Size: cp.Size, Root: cp.Hash}
	for _, line := range strings.Split(strings.TrimSuffix(string(rest), "\n"), "\n") {
		switch k, v, _ := strings.Cut(line, " "); k {
		case "time":
			if h.Time, err = time.Parse(time.RFC3339, v); err != nil {
				return fail("time line %q: %v", line, err)
			}
		case "key":
			h.KeyID = v
		}
	}
	if len(h.Root) != 32 {
		return fail("root hash of %d bytes, want 32", len(h.Root))
	}
	if h.KeyID == "" {
		return fail("no key line")
	}
	pub, ok := keys.PublicKey(h.KeyID)
	if !ok {
		return fail("signed by key %s, which is not trusted here", h.KeyID)
	}
	v, err := noteVerifier(cp.Origin, pub)
	if err != nil {
		return fail("%v", err)
	}
	if _, _, _, err := log.ParseCheckpoint(b, cp.Origin, v); err != nil {
		return fail("signature by key %s does not verify: %v", h.KeyID, err)
	}
	return SignedHead{Head: h, Checkpoint: bytes.Clone(b)}, nil
}

// RootBase64 renders the root as the checkpoint and the seal events do.
func (h Head) RootBase64() string { return base64.StdEncoding.EncodeToString(h.Root) }

// HeadSink receives every signed tree head the sealer makes, to publish it
// outside the log.
type HeadSink interface {
	PublishHead(ctx context.Context, h SignedHead) error
}

// FileSink writes the latest checkpoint to Path (atomically: a temporary
// file in the same directory, then rename).
type FileSink struct{ Path string }

// PublishHead implements HeadSink.
func (f FileSink) PublishHead(_ context.Context, h SignedHead) error {
	tmp, err := os.CreateTemp(filepath.Dir(f.Path), ".head-*")
	if err != nil {
		return fmt.Errorf("publish head: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(h.Checkpoint); err != nil {
		tmp.Close()
		return fmt.Errorf("publish head: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("publish head: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.Path); err != nil {
		return fmt.Errorf("publish head: %w", err)
	}
	return nil
}
