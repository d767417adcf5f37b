package webhook

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// KeyFile is the default name of the webhook key file beside the data (or
// snapshot) directory's other files.
const KeyFile = "webhook.key"

// Key is the ledger's webhook key: every subscription's signing secret is
// derived from it, so no secret is ever stored, and every replica holding
// the same key signs alike.
type Key [32]byte

// LoadOrCreateKey reads the key file (64 hex digits), or creates it (mode
// 0600) with a random key when it does not exist.
func LoadOrCreateKey(path string) (Key, error) {
	var k Key
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if _, err := rand.Read(k[:]); err != nil {
			return k, err
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return k, fmt.Errorf("webhook key %s: %w", path, err)
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			if errors.Is(err, os.ErrExist) { // another process made it first
				return LoadOrCreateKey(path)
			}
			return k, fmt.Errorf("webhook key %s: %w", path, err)
		}
		_, werr := f.WriteString(hex.EncodeToString(k[:]) + "\n")
		if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
			return k, fmt.Errorf("webhook key %s: %w", path, err)
		}
		return k, nil
	}
	if err != nil {
		return k, fmt.Errorf("webhook key %s: %w", path, err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != len(k) {
		return k, fmt.Errorf("webhook key %s: want 64 hex digits (32 random bytes), e.g. from `openssl rand -hex 32`", path)
	}
	copy(k[:], raw)
	return k, nil
}

// Secret returns the signing secret of generation gen of subscription id.
func (k Key) Secret(id string, gen int) []byte {
	m := hmac.New(sha256.New, k[:])
	m.Write([]byte("ticketledger.webhook.secret.v1\x00" + id + "\x00" + strconv.Itoa(gen)))
	return m.Sum(nil)
}

// SecretPrefix starts every secret as shown to a subscriber.
const SecretPrefix = "whsec_"

// FormatSecret renders a secret as Standard Webhooks shows it: "whsec_"
// and the standard base64 of its bytes.
func FormatSecret(secret []byte) string {
	return SecretPrefix + base64.StdEncoding.EncodeToString(secret)
}

// Signature returns the webhook-signature header value: for each secret,
// "v1," and the base64 HMAC-SHA256 of "<id>.<timestamp>.<body>", space
// separated (two during a rotation's overlap).
func Signature(secrets [][]byte, msgID string, timestamp int64, body []byte) string {
	sigs := make([]string, len(secrets))
	for i, s := range secrets {
		m := hmac.New(sha256.New, s)
		m.Write([]byte(msgID + "." + strconv.FormatInt(timestamp, 10) + "."))
		m.Write(body)
		sigs[i] = "v1," + base64.StdEncoding.EncodeToString(m.Sum(nil))
	}
	return strings.Join(sigs, " ")
}
