package main

import (
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/parley-chat/parley/irc"
	"github.com/parley-chat/parley/server"
)

// ircFlags are the IRC gateway's flags of "parley serve" (docs/IRC.md).
type ircFlags struct {
	addr, tlsAddr string
	serverName    string
	ping          time.Duration
	floodRate     float64
	floodBurst    int
	history       int
}

func (f *ircFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&f.addr, "irc-addr", "", "if set, serve the IRC gateway on this address (e.g. 127.0.0.1:6667)")
	fs.StringVar(&f.tlsAddr, "irc-tls-addr", "", "if set, serve the IRC gateway over TLS on this address (e.g. 127.0.0.1:6697), with --tls-cert and --tls-key")
	fs.StringVar(&f.serverName, "irc-server-name", defaultIRCServerName(), "the IRC server's name: the host name clients see in replies and as every user's host")
	fs.DurationVar(&f.ping, "irc-ping", irc.DefaultPingInterval, "IRC keepalive: a client silent this long is pinged, and cut off if silent as long again")
	fs.Float64Var(&f.floodRate, "irc-flood-rate", irc.DefaultFloodRate, "IRC flood control: lines per second a client may send on average")
	fs.IntVar(&f.floodBurst, "irc-flood-burst", irc.DefaultFloodBurst, "IRC flood control: lines a client may send at once; one that sends more beyond --irc-flood-rate is disconnected (Excess Flood)")
	fs.IntVar(&f.history, "irc-history", irc.DefaultHistory, "recent messages an IRC client gets when it joins a channel; 0 for none")
}

// apply configures the gateway in cfg; the TLS listener uses the HTTPS
// certificate.
func (f *ircFlags) apply(cfg *server.Config, certFile, keyFile string) error {
	if f.addr == "" && f.tlsAddr == "" {
		return nil
	}
	if f.ping <= 0 {
		return errors.New("-irc-ping must be positive")
	}
	if f.history < 0 {
		return errors.New("-irc-history must not be negative (0 turns playback off)")
	}
	if f.floodRate <= 0 || f.floodBurst <= 0 {
		return errors.New("--irc-flood-rate and --irc-flood-burst must be positive")
	}
	if err := irc.ValidateServerName(f.serverName); err != nil {
		return fmt.Errorf("--irc-server-name: %w", err)
	}
	ic := &server.IRCConfig{Addr: f.addr, TLSAddr: f.tlsAddr, ServerName: f.serverName, PingInterval: f.ping, PingTimeout: f.ping, History: f.history,
		FloodRate: f.floodRate, FloodBurst: f.floodBurst}
	if f.history == 0 {
		ic.History = -1 // server.IRCConfig: negative is none
	}
	if f.tlsAddr != "" {
		if certFile == "" {
			return errors.New("--irc-tls-addr needs --tls-cert and --tls-key: the IRC gateway uses the HTTPS certificate")
		}
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return fmt.Errorf("loading TLS certificate for IRC: %w", err)
		}
		ic.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	cfg.IRC = ic
	return nil
}

// defaultIRCServerName is the machine's host name when it is a valid IRC
// server name, else the irc package's default.
func defaultIRCServerName() string {
	if h, err := os.Hostname(); err == nil && irc.ValidateServerName(h) == nil {
		return h
	}
	return irc.DefaultServerName
}

// ircHost and ircPort split a listener's address for the /connect hint.
func ircHost(a net.Addr) string {
	host, _, _ := net.SplitHostPort(a.String())
	return host
}

func ircPort(a net.Addr) string {
	_, port, _ := net.SplitHostPort(a.String())
	return port
}
