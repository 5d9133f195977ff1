package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xerochat/xerochat/sqlstore/sqlstoretest"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, and returns
// their files and a pool that trusts the certificate.
func selfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "xerochat test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// serve --tls-cert/--tls-key speaks HTTPS and announces an https:// URL;
// plain HTTP on that port gets no answer of the API.
func TestServeTLS(t *testing.T) {
	t.Parallel()
	certFile, keyFile, pool := selfSigned(t)
	p := startServe(t, "--db", sqlstoretest.URL(t), "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("serve announced %q, want an https:// URL", p.URL)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}, Timeout: 10 * time.Second}
	res, err := client.Get(p.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK || res.TLS == nil {
		t.Fatalf("GET %s/healthz: %d, TLS %v", p.URL, res.StatusCode, res.TLS != nil)
	}
	plain := strings.Replace(p.URL, "https://", "http://", 1)
	if res, err := http.Get(plain + "/healthz"); err == nil {
		res.Body.Close()
		if res.StatusCode == http.StatusOK {
			t.Fatal("plain HTTP got an answer of the API on the HTTPS port")
		}
	}
	for _, bad := range [][]string{{"--tls-cert", certFile}, {"--tls-cert", certFile, "--tls-key", keyFile, "--acme-domain", "example.com"},
		{"--tls-cert", keyFile, "--tls-key", certFile}, {"--trusted-proxies", "10.0.0.0/99"}} {
		res := runCommand(t, append([]string{"serve", "--addr", "127.0.0.1:0", "--db", sqlstoretest.URL(t)}, bad...)...)
		if res.code == 0 {
			t.Errorf("serve %v started", bad)
		}
	}
}

// serve --acme-domain answers plain HTTP on --http-addr with a redirect to
// HTTPS for the domain, and keeps the certificate cache where it is told.
// (No certificate authority is reachable here: the TLS side is not tried.)
func TestServeACMERedirect(t *testing.T) {
	t.Parallel()
	free, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	httpAddr := free.Addr().String()
	free.Close()
	cache := filepath.Join(t.TempDir(), "acme")
	p := startServe(t, "--db", sqlstoretest.URL(t), "--acme-domain", "chat.example.test", "--acme-cache", cache,
		"--http-addr", httpAddr)
	if !strings.HasPrefix(p.URL, "https://") {
		t.Fatalf("serve announced %q, want an https:// URL", p.URL)
	}
	req, err := http.NewRequest(http.MethodGet, "http://"+httpAddr+"/api/get_contact?contact_id=1", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = "chat.example.test"
	client := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("the plain-HTTP listener does not answer: %v", err)
	}
	res.Body.Close()
	if loc := res.Header.Get("Location"); res.StatusCode/100 != 3 || loc != "https://chat.example.test/api/get_contact?contact_id=1" {
		t.Errorf("plain HTTP: %d to %q, want a redirect to the same URL over HTTPS", res.StatusCode, loc)
	}
}

// Behind a trusted proxy, the client's address in the log is the one the
// proxy forwarded; from anyone else, X-Forwarded-For is ignored.
func TestServeTrustedProxies(t *testing.T) {
	t.Parallel()
	p := startServe(t, "--db", sqlstoretest.URL(t), "--log-format", "json", "--trusted-proxies", "127.0.0.1")
	req, _ := http.NewRequest(http.MethodGet, p.URL+"/healthz", nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	untrusted := startServe(t, "--db", sqlstoretest.URL(t), "--log-format", "json")
	req, _ = http.NewRequest(http.MethodGet, untrusted.URL+"/healthz", nil)
	req.Header.Set("X-Forwarded-For", "198.51.100.8")
	if res, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	waitLog := func(p *process, want string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for !strings.Contains(p.stderr.String(), want) {
			if time.Now().After(deadline) {
				t.Fatalf("no log line with %s:\n%s", want, p.stderr)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	waitLog(p, `"remote":"198.51.100.7:0"`)
	waitLog(untrusted, `"path":"/healthz"`)
	if strings.Contains(untrusted.stderr.String(), "198.51.100.8") {
		t.Fatal("X-Forwarded-For believed from a peer that is no trusted proxy")
	}
}
