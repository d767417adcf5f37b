package subjects

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
)

// Prefix starts every sealed value.
const Prefix = "pii1:"

// KeySize is the size of a subject key in bytes (AES-256).
const KeySize = 32

// aadTag is the domain tag of the additional data.
const aadTag = "ticketledger.pii.v1"

// ErrNotSealed is returned by Unseal for a value that is not a sealed value.
var ErrNotSealed = errors.New("not a sealed value")

// IsSealed reports whether v is a sealed value (by its prefix).
func IsSealed(v string) bool { return strings.HasPrefix(v, Prefix) }

// SubjectOf returns the subject id a sealed value is sealed for.
func SubjectOf(v string) (string, bool) {
	rest, ok := strings.CutPrefix(v, Prefix)
	if !ok {
		return "", false
	}
	id, _, ok := strings.Cut(rest, ":")
	return id, ok && id != ""
}

func aead(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("subject key is %d bytes, want %d", len(key), KeySize)
	}
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

func aad(id, field string) []byte { return []byte(aadTag + "\x00" + id + "\x00" + field) }

// Seal encrypts plaintext, the value of field (e.g. "contact.email"), for
// subject id under key. An empty plaintext stays empty.
func Seal(key []byte, id, field, plaintext string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	g, err := aead(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(plaintext)+g.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("seal %s: %w", field, err)
	}
	ct := g.Seal(nonce, nonce, []byte(plaintext), aad(id, field))
	return Prefix + id + ":" + base64.RawURLEncoding.EncodeToString(ct), nil
}

// Unseal decrypts sealed, the value of field, with key. A value that is not
// sealed is ErrNotSealed; a wrong key, subject or field, or an altered
// value, is an error.
func Unseal(key []byte, field, sealed string) (string, error) {
	id, ok := SubjectOf(sealed)
	if !ok {
		return "", ErrNotSealed
	}
	raw, err := base64.RawURLEncoding.DecodeString(sealed[len(Prefix)+len(id)+1:])
	if err != nil {
		return "", fmt.Errorf("sealed %s of subject %s: %w", field, id, err)
	}
	g, err := aead(key)
	if err != nil {
		return "", err
	}
	if len(raw) < g.NonceSize()+g.Overhead() {
		return "", fmt.Errorf("sealed %s of subject %s is truncated", field, id)
	}
	pt, err := g.Open(nil, raw[:g.NonceSize()], raw[g.NonceSize():], aad(id, field))
	if err != nil {
		return "", fmt.Errorf("sealed %s of subject %s does not open with its key: %w", field, id, err)
	}
	return string(pt), nil
}
