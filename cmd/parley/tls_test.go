package main

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/parley-chat/parley/internal/servicetest"
)

func TestTLSServesEventStreamsOverHTTP2(t *testing.T) {
	certFile, keyFile, pool := servicetest.WriteSelfSigned(t)
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
