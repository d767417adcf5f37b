package integrity

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/mod/sumdb/note"

	"github.com/ticketledger/ticketledger/infra/codec"
)

// KeyEnv is the environment variable a signing key may be given in.
const KeyEnv = "TICKETLEDGER_SIGNING_KEY"

// KeyID returns a public key's id: lowercase hex of the first 8 bytes of
// SHA-256 of the 32-byte key.
func KeyID(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return hex.EncodeToString(s[:8])
}

// Fingerprint returns a public key's fingerprint as the API and evidence
// bundles show it: "SHA256:" and the lowercase hex SHA-256 of the 32-byte
// key (its first 16 hex digits are the key id).
func Fingerprint(pub ed25519.PublicKey) string {
	s := sha256.Sum256(pub)
	return "SHA256:" + hex.EncodeToString(s[:])
}

// SigningKey is the ledger's Ed25519 signing key. It signs events
// (codec.Signer) and tree heads (NoteSigner). Safe for concurrent use.
type SigningKey struct {
	priv ed25519.PrivateKey
	pub  ed25519.PublicKey
	id   string
	sigs madeSigs // the event signatures it made lately (Made)
}

var _ codec.Signer = (*SigningKey)(nil)

// NewSigningKey wraps an Ed25519 private key.
func NewSigningKey(priv ed25519.PrivateKey) (*SigningKey, error) {
	if len(priv) != ed25519.PrivateKeySize {
		return nil, fmt.Errorf("signing key: %d bytes, want an Ed25519 private key of %d", len(priv), ed25519.PrivateKeySize)
	}
	pub := priv.Public().(ed25519.PublicKey)
	return &SigningKey{priv: priv, pub: pub, id: KeyID(pub)}, nil
}

// GenerateSigningKey makes a new random key.
func GenerateSigningKey() (*SigningKey, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	return NewSigningKey(priv)
}

// ParseSigningKey reads a key in one of two forms: a PEM block "PRIVATE
// KEY" holding PKCS #8 (what `openssl genpkey -algorithm ed25519` writes),
// or the 32-byte Ed25519 seed in standard base64 (44 characters).
// Surrounding white space is ignored.
func ParseSigningKey(b []byte) (*SigningKey, error) {
	priv, err := parseKey(b, keyText[ed25519.PrivateKey]{what: "signing key", block: "PRIVATE KEY", blockHint: "(PKCS #8)",
		der: x509.ParsePKCS8PrivateKey, size: ed25519.SeedSize, raw: ed25519.NewKeyFromSeed,
		forms: "PKCS #8 PEM or a 32-byte Ed25519 seed in standard base64"})
	if err != nil {
		return nil, err
	}
	return NewSigningKey(priv)
}

// ParsePublicKey reads an Ed25519 public key: a PEM block "PUBLIC KEY"
// holding PKIX (what `openssl pkey -pubout` writes), or the 32-byte key in
// standard base64. Surrounding white space is ignored.
func ParsePublicKey(b []byte) (ed25519.PublicKey, error) {
	return parseKey(b, keyText[ed25519.PublicKey]{what: "public key", block: "PUBLIC KEY", blockHint: "(openssl pkey -pubout writes one)",
		der: x509.ParsePKIXPublicKey, size: ed25519.PublicKeySize, raw: func(r []byte) ed25519.PublicKey { return r },
		forms: "PKIX PEM or 32 bytes of standard base64"})
}

// keyText describes the two text forms of a key of type T: a PEM block
// whose DER der parses, or size bytes of standard base64 that raw turns
// into the key.
type keyText[T any] struct {
	what, block, blockHint, forms string
	der                           func([]byte) (any, error)
	size                          int
	raw                           func([]byte) T
}

func parseKey[T any](b []byte, kt keyText[T]) (T, error) {
	var zero T
	s := strings.TrimSpace(string(b))
	if strings.HasPrefix(s, "-----BEGIN") {
		blk, _ := pem.Decode([]byte(s))
		if blk == nil || blk.Type != kt.block {
			return zero, fmt.Errorf("%s: want a PEM block %q %s", kt.what, kt.block, kt.blockHint)
		}
		k, err := kt.der(blk.Bytes)
		if err != nil {
			return zero, fmt.Errorf("%s: %w", kt.what, err)
		}
		key, ok := k.(T)
		if !ok {
			return zero, fmt.Errorf("%s: a %T, want Ed25519", kt.what, k)
		}
		return key, nil
	}
	raw, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(raw) != kt.size {
		return zero, fmt.Errorf("%s: want %s", kt.what, kt.forms)
	}
	return kt.raw(raw), nil
}

// LoadSigningKeyFile reads a key file (see ParseSigningKey).
func LoadSigningKeyFile(path string) (*SigningKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("signing key: %w", err)
	}
	k, err := ParseSigningKey(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k, nil
}

// LoadSigningKeyEnv reads a key from the environment variable name (KeyEnv
// if empty); ok is false when it is unset.
func LoadSigningKeyEnv(name string) (k *SigningKey, ok bool, err error) {
	if name == "" {
		name = KeyEnv
	}
	v, ok := os.LookupEnv(name)
	if !ok {
		return nil, false, nil
	}
	k, err = ParseSigningKey([]byte(v))
	if err != nil {
		return nil, true, fmt.Errorf("$%s: %w", name, err)
	}
	return k, true, nil
}

// DemoKeyPath is the demo key's file beside a data directory:
// "<dataDir>.signing-key".
func DemoKeyPath(dataDir string) string { return filepath.Clean(dataDir) + ".signing-key" }

// DemoKeyFile returns the key beside a data directory for demos:
// "<dataDir>.signing-key" (outside the directory itself). It loads the
// file, or generates and writes it (mode 0600) when missing, and logs a
// warning either way: whoever can write the data directory and read this
// file can re-sign history.
func DemoKeyFile(dataDir string, log *slog.Logger) (*SigningKey, string, error) {
	path := DemoKeyPath(dataDir)
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(path); err == nil {
		k, err := LoadSigningKeyFile(path)
		if err == nil {
			log.Warn("demo signing key beside the data directory: keep production keys elsewhere", "path", path, "keyId", k.ID())
		}
		return k, path, err
	}
	k, err := GenerateSigningKey()
	if err != nil {
		return nil, "", err
	}
	if err := os.WriteFile(path, k.MarshalPEM(), 0o600); err != nil {
		return nil, "", fmt.Errorf("write demo signing key: %w", err)
	}
	log.Warn("generated a demo signing key beside the data directory: keep production keys elsewhere", "path", path, "keyId", k.ID())
	return k, path, nil
}

// MarshalPEM renders the key as a PKCS #8 PEM block.
func (k *SigningKey) MarshalPEM() []byte {
	der, err := x509.MarshalPKCS8PrivateKey(k.priv)
	if err != nil {
		panic(err) // cannot happen for a valid Ed25519 key
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
}

// ID returns the key id (KeyID of the public key).
func (k *SigningKey) ID() string { return k.id }

// KeyID implements codec.Signer.
func (k *SigningKey) KeyID() string { return k.id }

// Sign implements codec.Signer.
func (k *SigningKey) Sign(msg []byte) []byte {
	sig := ed25519.Sign(k.priv, msg)
	k.sigs.record(msg, sig)
	return sig
}

// Public returns the public key.
func (k *SigningKey) Public() ed25519.PublicKey { return k.pub }

// NoteSigner returns a signed-note signer for checkpoints of the log named
// origin (the key name is the origin, as C2SP checkpoints expect).
func (k *SigningKey) NoteSigner(origin string) (note.Signer, error) {
	v, err := noteVerifier(origin, k.pub)
	if err != nil {
		return nil, err
	}
	return &noteSigner{name: origin, hash: v.KeyHash(), key: k.priv}, nil
}

// NoteVerifierKey returns the signed-note verifier key string
// ("<origin>+<hash>+<base64>") of the key for the log named origin.
func NoteVerifierKey(origin string, pub ed25519.PublicKey) (string, error) {
	return note.NewEd25519VerifierKey(origin, pub)
}

func noteVerifier(origin string, pub ed25519.PublicKey) (note.Verifier, error) {
	vkey, err := NoteVerifierKey(origin, pub)
	if err != nil {
		return nil, fmt.Errorf("note key for origin %q: %w", origin, err)
	}
	return note.NewVerifier(vkey)
}

type noteSigner struct {
	name string
	hash uint32
	key  ed25519.PrivateKey
}

func (s *noteSigner) Name() string                    { return s.name }
func (s *noteSigner) KeyHash() uint32                 { return s.hash }
func (s *noteSigner) Sign(msg []byte) ([]byte, error) { return ed25519.Sign(s.key, msg), nil }
