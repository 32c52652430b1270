package main

import (
	"bufio"
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
)

// writeSelfSigned writes a certificate for 127.0.0.1 and its key.
func writeSelfSigned(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "parley test"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	keyDER, _ := x509.MarshalECPrivateKey(key)
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return certFile, keyFile, pool
}

func TestTLSServesEventStreamsOverHTTP2(t *testing.T) {
	certFile, keyFile, pool := writeSelfSigned(t)
	url, stop, errc := startServe(t, "--db", filepath.Join(t.TempDir(), "p.db"), "--tls-cert", certFile, "--tls-key", keyFile)
	defer func() { stop(); <-errc }()
	if !strings.HasPrefix(url, "https://") {
		t.Fatalf("serve printed %q, want an https URL", url)
	}
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true}}

	// Several streams share one HTTP/2 connection.
	var readers []*bufio.Reader
	for range 8 {
		resp, err := client.Get(url + "/api/events?rooms=lobby")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("event stream served over %s, want HTTP/2", resp.Proto)
		}
		r := bufio.NewReader(resp.Body)
		if line, _ := r.ReadString('\n'); !strings.HasPrefix(line, "retry:") {
			t.Fatalf("first line %q", line)
		}
		readers = append(readers, r)
	}
	resp, err := client.Post(url+"/api/rooms/lobby/messages", "application/json", strings.NewReader(`{"text":"over h2","name":"ada"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for i, r := range readers {
		var data string
		for !strings.HasPrefix(data, "data: ") {
			if data, err = r.ReadString('\n'); err != nil {
				t.Fatalf("stream %d: %v", i, err)
			}
		}
		if !strings.Contains(data, `"text":"over h2"`) {
			t.Errorf("stream %d got %q", i, data)
		}
	}
}

func TestTLSFlagsGoTogether(t *testing.T) {
	err := run(t.Context(), []string{"serve", "--tls-cert", "x.pem"}, nil, os.Stderr)
	if err == nil || !strings.Contains(err.Error(), "--tls-key") {
		t.Errorf("run = %v, want an error naming --tls-key", err)
	}
}
