package standalone

import (
	"crypto/ecdsa"
	"os"
	"path/filepath"
	"testing"

	"github.com/shepconf/shepconf/internal/gost"
)

// keyAlgorithm gost2004: the exported signing certificates are GOST-keyed and kept across
// restarts; HTTPS certificates are ECDSA (crypto/tls presents no GOST key) and kept too; switching
// to another algorithm reissues the signing certificates.
func TestStandaloneGOSTKeys(t *testing.T) {
	b := newBench(t, "gost2004")
	b.start()
	if _, ok := b.identity("INITIATOR_SYS").Key.(*gost.PrivateKey); !ok {
		t.Fatalf("keyAlgorithm gost2004 exported a %T key", b.identity("INITIATOR_SYS").Key)
	}
	if _, ok := b.s.HTTPS[GatewayID].Key.(*ecdsa.PrivateKey); !ok {
		t.Fatalf("keyAlgorithm gost2004: the gateway's HTTPS key is %T, not ECDSA", b.s.HTTPS[GatewayID].Key)
	}
	b.stop()
	read := func(path string) string {
		t.Helper()
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	auth := filepath.Join(filepath.Dir(b.s.CertPath("INITIATOR_SYS")), AuthCertFile)
	signing, https, jose := read(b.s.CertPath("INITIATOR_SYS")), read(b.s.HTTPSCertPath(GatewayID)), read(auth)

	b.start()
	if read(b.s.CertPath("INITIATOR_SYS")) != signing {
		t.Error("a GOST certificate of the configured algorithm was reissued")
	}
	if read(auth) != jose {
		t.Error("the ECDSA JOSE and TLS certificate of a GOST run was reissued")
	}
	if read(b.s.HTTPSCertPath(GatewayID)) != https {
		t.Error("the gateway's ECDSA HTTPS certificate of a GOST run was reissued")
	}
	b.stop()

	b.cfg.KeyAlgorithm = "ecdsa-p256"
	b.start()
	defer b.stop()
	if _, ok := b.identity("INITIATOR_SYS").Key.(*ecdsa.PrivateKey); !ok || read(b.s.CertPath("INITIATOR_SYS")) == signing {
		t.Fatal("after switching from gost2004 to ecdsa-p256 the GOST certificate was kept")
	}
}
