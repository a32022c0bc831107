//go:build !goolm

package matrix

import "testing"

func TestCryptoStoreNeedsAGoolmBuild(t *testing.T) {
	var p problemList
	validate(&Config{Homeserver: "https://example.org", UserID: "@bot:example.org", AccessToken: "t", CryptoStore: "/var/lib/x.db"}, &p)
	if len(p) != 1 || p[0][:len("crypto_store")] != "crypto_store" {
		t.Errorf("problems = %q, want one on crypto_store saying the build lacks encryption", p)
	}
}
