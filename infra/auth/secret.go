package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
)

// SecretPrefix starts every secret the ledger generates ("tl_" + 43
// base64url characters of 32 random bytes), so that secret scanners and
// people recognise one.
const SecretPrefix = "tl_"

// MinSecretLen is the shortest secret accepted when one is handed in (an
// environment variable or a file): 32 characters.
const MinSecretLen = 32

// NewSecret returns a new random token secret: 32 bytes from crypto/rand,
// "tl_" + base64url without padding.
func NewSecret() string {
	var b [32]byte
	rand.Read(b[:]) // never fails (crypto/rand panics on an unusable source)
	return SecretPrefix + base64.RawURLEncoding.EncodeToString(b[:])
}

// newTokenID returns a new token id: 16 lowercase hex digits (64 random
// bits; ids are public, the secret is what authenticates).
func newTokenID() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// HashSecret returns the lowercase hex SHA-256 of a secret: what a
// principal.token_issued event stores.
func HashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// sum hashes a secret without allocating for secrets up to 128 bytes.
func sum(secret string) [sha256.Size]byte {
	var buf [128]byte
	if len(secret) <= len(buf) {
		return sha256.Sum256(append(buf[:0], secret...))
	}
	return sha256.Sum256([]byte(secret))
}

// checkHandedIn checks a secret handed in by the deployment: at least
// MinSecretLen printable ASCII characters, no spaces.
func checkHandedIn(what, secret string) error {
	if len(secret) < MinSecretLen {
		return fmt.Errorf("%s is %d characters long: use at least %d random characters (e.g. openssl rand -base64 32)", what, len(secret), MinSecretLen)
	}
	if strings.ContainsFunc(secret, func(r rune) bool { return r <= ' ' || r > '~' }) {
		return fmt.Errorf("%s holds spaces, control or non-ASCII characters: use printable ASCII only (e.g. openssl rand -base64 32)", what)
	}
	return nil
}
