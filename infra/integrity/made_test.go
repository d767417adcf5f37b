package integrity

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"testing"

	"github.com/ticketledger/ticketledger/infra/codec"
)

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
