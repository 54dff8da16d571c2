package builder

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestConnectTCPWithTLS reaches a buildkitd over tcp:// with mutual TLS, and
// is refused with a clear message without the client certificate.
func TestConnectTCPWithTLS(t *testing.T) {
	requireEnv(t, "MACABOX_TEST_BUILDKITD")
	dir := shortTempDir(t, "mbkt-")
	pki := makePKI(t, dir)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	host := l.Addr().String()
	l.Close()
	startBuildkitdAt(t, dir, "tcp", host,
		"--tlscacert", pki.ca, "--tlscert", pki.serverCert, "--tlskey", pki.serverKey)

	addr := "tcp://" + host
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b, err := Connect(ctx, addr, ConnectOptions{TLS: TLSOptions{
		CA: pki.ca, Cert: pki.clientCert, Key: pki.clientKey, ServerName: "buildkitd.macabox.test",
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	if _, err := b.Build(ctx, Request{Dockerfile: []byte("FROM scratch\nENV A=1\n")}); err != nil {
		t.Fatal(err)
	}

	_, err = Connect(ctx, addr, ConnectOptions{DialTimeout: 5 * time.Second, TLS: TLSOptions{CA: pki.ca, ServerName: "buildkitd.macabox.test"}})
	if e := errorContains(err, addr, "not reachable", "--tls-cert"); e != nil {
		t.Fatal(e)
	}
	t.Logf("without a client certificate: %v", err)
}

type testPKI struct{ ca, serverCert, serverKey, clientCert, clientKey string }

func makePKI(t *testing.T, dir string) testPKI {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "macabox test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	issue := func(serial int64, usage x509.ExtKeyUsage, name string) (string, string) {
		key := newKey(t)
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(serial),
			Subject:      pkix.Name{CommonName: name},
			DNSNames:     []string{name},
			NotBefore:    time.Now().Add(-time.Hour),
			NotAfter:     time.Now().Add(time.Hour),
			KeyUsage:     x509.KeyUsageDigitalSignature,
			ExtKeyUsage:  []x509.ExtKeyUsage{usage},
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
		if err != nil {
			t.Fatal(err)
		}
		keyDER, err := x509.MarshalECPrivateKey(key)
		if err != nil {
			t.Fatal(err)
		}
		certPath := writePEM(t, filepath.Join(dir, name+".pem"), "CERTIFICATE", der)
		keyPath := writePEM(t, filepath.Join(dir, name+"-key.pem"), "EC PRIVATE KEY", keyDER)
		return certPath, keyPath
	}
	p := testPKI{ca: writePEM(t, filepath.Join(dir, "ca.pem"), "CERTIFICATE", caDER)}
	p.serverCert, p.serverKey = issue(2, x509.ExtKeyUsageServerAuth, "buildkitd.macabox.test")
	p.clientCert, p.clientKey = issue(3, x509.ExtKeyUsageClientAuth, "client.macabox.test")
	return p
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writePEM(t *testing.T, path, typ string, der []byte) string {
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
