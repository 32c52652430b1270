package main

import (
	"io"
	"log/slog"
	"strings"
	"testing"
)

func TestIRCFlags(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	f, err := parseServeFlags([]string{"--irc-addr", "127.0.0.1:6667", "--irc-history", "0"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := f.config(log)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.IRC == nil || cfg.IRC.Addr != "127.0.0.1:6667" || cfg.IRC.History >= 0 || cfg.IRC.TLSAddr != "" {
		t.Fatalf("IRC config = %+v, want the plain listener without playback", cfg.IRC)
	}

	f, _ = parseServeFlags(nil, io.Discard)
	if cfg, _ := f.config(log); cfg.IRC != nil {
		t.Fatal("the IRC gateway is on without --irc-addr")
	}

	t.Setenv("PARLEY_IRC_TLS_ADDR", "127.0.0.1:6697")
	f, err = parseServeFlags(nil, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.config(log); err == nil || !strings.Contains(err.Error(), "--tls-cert") {
		t.Fatalf("TLS listener without a certificate: %v, want an error naming --tls-cert", err)
	}
}
