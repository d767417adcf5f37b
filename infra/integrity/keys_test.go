package integrity

import (
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strconv"
	"strings"
	"testing"

	"github.com/ticketledger/ticketledger/infra/codec"
)

func TestParsePublicKey(t *testing.T) {
	k, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(k.Public())
	if err != nil {
		t.Fatal(err)
	}
	for name, in := range map[string]string{
		"pem":    string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})),
		"base64": "  " + base64.StdEncoding.EncodeToString(k.Public()) + "\n",
	} {
		got, err := ParsePublicKey([]byte(in))
		if err != nil || !got.Equal(k.Public()) {
			t.Errorf("%s: %v %x", name, err, got)
		}
	}
	for _, bad := range []string{"", "AAAA", string(k.MarshalPEM())} {
		if _, err := ParsePublicKey([]byte(bad)); err == nil || !strings.Contains(err.Error(), "public key") {
			t.Errorf("%q: %v", bad[:min(len(bad), 20)], err)
		}
	}
}

// TestSigningKeyRemembersWhatItSigned: a key knows the event signatures it
// made lately, exactly (another signature or hash is not one), forgets the
// oldest past its bound, and does not remember other messages.
func TestSigningKeyRemembersWhatItSigned(t *testing.T) {
	k, err := GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	hash := func(i int) string { s := sha256.Sum256([]byte(strconv.Itoa(i))); return hex.EncodeToString(s[:]) }
	sig := k.Sign(codec.SignedMessage(hash(0)))
	other := k.Sign(codec.SignedMessage(hash(1)))
	switch {
	case !k.Made(hash(0), sig):
		t.Fatal("a signature it made is not known")
	case k.Made(hash(0), other), k.Made(hash(2), sig):
		t.Fatal("another signature or hash passes for one it made")
	}
	note := k.Sign([]byte("checkpoint body"))
	if k.Made("checkpoint body", note) {
		t.Fatal("a message other than an event hash is remembered")
	}
	for i := 2; i < madeSize+2; i++ {
		k.Sign(codec.SignedMessage(hash(i)))
	}
	if k.Made(hash(0), sig) || !k.Made(hash(madeSize+1), k.Sign(codec.SignedMessage(hash(madeSize+1)))) {
		t.Fatal("the bound does not hold: the oldest is kept or the newest forgotten")
	}
}
