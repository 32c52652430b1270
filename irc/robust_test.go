package irc_test

import (
	"bufio"
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/server"

	"github.com/parley-chat/parley/internal/metricstest"
	"github.com/parley-chat/parley/internal/servicetest"
)

// A client that stops answering is pinged, then disconnected.
func TestPingTimeout(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	c := g.dial()
	c.register("carol")
	if m, _ := c.expect("PING"); m.Param(0) != "parley" {
		t.Fatalf("PING = %v", m)
	}
	if reason := c.expectClosed(); !strings.Contains(reason, "Ping timeout") {
		t.Fatalf("closed with %q, want a ping timeout", reason)
	}
}

// A client that answers PINGs stays connected past the timeout.
func TestPongKeepsTheConnection(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{PingInterval: 100 * time.Millisecond, PingTimeout: 200 * time.Millisecond})
	c := g.dial()
	c.register("carol")
	for range 4 { // well past PingInterval + PingTimeout
		m, _ := c.expect("PING")
		c.send("PONG :" + m.Param(0))
	}
	c.send("PING :alive")
	if m, _ := c.expect("PONG"); m.Param(1) != "alive" {
		t.Fatalf("PONG = %v", m)
	}
}

// A client that sends more lines than the flood burst is disconnected.
func TestExcessFlood(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{FloodRate: 1, FloodBurst: 10})
	c := g.dial()
	c.register("carol")
	// One write, so that the server reads the flood before it closes.
	c.send(strings.TrimSuffix(strings.Repeat("PING :x\r\n", 20), "\r\n"))
	if reason := c.expectClosed(); !strings.Contains(reason, "Excess Flood") {
		t.Fatalf("closed with %q, want Excess Flood", reason)
	}
}

// A client whose send queue overflows is disconnected rather than waited
// for; the server, the hub and the other transports carry on.
func TestSendQOverflowDisconnects(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{SendQ: 4096, History: -1}) // no playback: the big line would overflow the next client too
	web := g.events("rooms=lobby")
	slow := g.dial()
	slow.register("slow")
	slow.join("#lobby")
	big := strings.Repeat("é", 2000) // 4000 bytes of text: more than the queue holds
	g.post("lobby", "webby", big)
	if reason := slow.expectClosed(); reason != "" {
		t.Fatalf("closed with ERROR %q, want the connection cut", reason)
	}
	web.message("the big line on the web", func(m parley.Message) bool { return m.Text == big })
	if v, _ := metricstest.Scrape(t, g.srv.MetricsHandler()).Value("parley_slow_consumers_total", map[string]string{"transport": "irc"}); v != 1 {
		t.Errorf("parley_slow_consumers_total{irc} = %v, want 1", v)
	}

	next := g.dial()
	next.register("next")
	next.join("#lobby")
	g.post("lobby", "webby", "still delivering")
	if m, _ := next.expect("PRIVMSG"); m.Param(1) != "still delivering" {
		t.Fatalf("PRIVMSG = %v", m)
	}
}

// Shutting the server down ends IRC connections with an ERROR.
func TestShutdownEndsConnections(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{})
	c := g.dial()
	c.register("carol")
	c.join("#lobby")
	g.srv.CloseStreams() // as on SIGTERM; Close (at cleanup) does it again
	if reason := c.expectClosed(); !strings.Contains(reason, "shutting down") {
		t.Fatalf("closed with %q, want a shutdown notice", reason)
	}
	if n := g.srv.IRCConns(); n != 0 {
		t.Fatalf("%d IRC connections left after shutdown", n)
	}
}

// Without guests, a client must log in: a guest is refused with 464,
// while SASL PLAIN gets in.
func TestNoGuests(t *testing.T) {
	g := startGateway(t, server.Config{NoGuests: true}, server.IRCConfig{}, "ada")
	guest := g.dial()
	guest.send("NICK carol", "USER carol 0 * :Carol")
	if m, _ := guest.expect(ircmsg.ERR_PASSWDMISMATCH); !strings.Contains(m.Param(1), "log in") {
		t.Fatalf("464 = %v, want it to say to log in", m)
	}
	guest.expectClosed()

	ada := g.connect("ada", "ada")
	ada.join("#lobby")
}

// The TLS listener serves the same gateway with the HTTPS certificate.
func TestTLSListener(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{TLSAddr: "127.0.0.1:0", TLSConfig: selfSigned(t)})
	conn, err := tls.Dial("tcp", g.srv.IRCTLSAddr().String(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c := &raw{t: t, nc: conn, r: bufio.NewReader(conn)}
	c.register("carol")
	c.join("#lobby")
}

func selfSigned(t *testing.T) *tls.Config {
	cert, _ := servicetest.SelfSigned(t)
	return &tls.Config{Certificates: []tls.Certificate{cert}}
}

// Failed IRC logins count against the same lockout as web logins: an
// attacker gets no extra guesses by switching protocols.
func TestIRCAndWebShareLoginLockout(t *testing.T) {
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada")
	for range 5 {
		c := g.dial()
		c.send("PASS :wrong password", "NICK ada", "USER ada 0 * :Ada")
		c.expect(ircmsg.ERR_PASSWDMISMATCH)
		c.expectClosed()
	}
	status, body := g.do("POST", "/api/session", `{"name":"ada","password":"`+password+`"}`)
	if status != http.StatusTooManyRequests {
		t.Fatalf("web login with the right password after 5 failed IRC logins: %d %s, want 429 (locked out)", status, body)
	}
}
