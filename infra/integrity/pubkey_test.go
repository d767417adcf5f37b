package integrity

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"strings"
	"testing"
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
