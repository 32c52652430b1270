package irc_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ergochat/irc-go/ircevent"
	ergomsg "github.com/ergochat/irc-go/ircmsg"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/internal/servicetest"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/server"
)

const password = "correct horse battery"

// wait bounds every wait for an expected line or event.
const wait = 10 * time.Second

// gateway is a Parley server with its IRC gateway: a real SQLite file, a
// real HTTP server and a real IRC listener on loopback.
type gateway struct {
	t      *testing.T
	srv    *server.Server
	http   *httptest.Server
	addr   string // IRC
	dbPath string
}

// startGateway starts a server whose database holds the named users; irc
// configures the gateway (its Addr is set to a free loopback port).
func startGateway(t *testing.T, cfg server.Config, irc server.IRCConfig, users ...string) *gateway {
	t.Helper()
	cfg.DB = filepath.Join(t.TempDir(), "parley.db")
	servicetest.CreateUsers(t, cfg.DB, password, users...)
	irc.Addr = "127.0.0.1:0"
	cfg.IRC = &irc
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("server.New: %v", err)
	}
	g := &gateway{t: t, srv: srv, http: httptest.NewServer(srv.Handler()), addr: srv.IRCAddr().String(), dbPath: cfg.DB}
	t.Cleanup(func() {
		g.http.Close()
		if err := srv.Close(); err != nil {
			t.Errorf("closing server: %v", err)
		}
	})
	return g
}

// do sends an HTTP request with header pairs and returns status and body.
func (g *gateway) do(method, path, body string, hdr ...string) (int, []byte) {
	g.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, g.http.URL+path, rd)
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		g.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b
}

// post posts a chat line as a web guest (or as whoever hdr names) and
// returns the stored message.
func (g *gateway) post(room, name, text string, hdr ...string) parley.Message {
	g.t.Helper()
	status, body := g.do("POST", "/api/rooms/"+room+"/messages", fmt.Sprintf(`{"text":%q,"name":%q}`, text, name), hdr...)
	if status != http.StatusCreated {
		g.t.Fatalf("post %q: %d %s", text, status, body)
	}
	var m parley.Message
	if err := json.Unmarshal(body, &m); err != nil {
		g.t.Fatal(err)
	}
	return m
}

// login returns a bearer header pair for a web session of user.
func (g *gateway) login(user string) []string {
	g.t.Helper()
	status, body := g.do("POST", "/api/session", `{"name":"`+user+`","password":"`+password+`"}`)
	if status != http.StatusOK {
		g.t.Fatalf("login %s: %d %s", user, status, body)
	}
	var got struct{ Token string }
	json.Unmarshal(body, &got)
	return []string{"Authorization", "Bearer " + got.Token}
}

// sse is a web client's event stream.
type sse struct {
	t      *testing.T
	lines  chan string
	cancel context.CancelFunc
}

// events opens GET /api/events?query.
func (g *gateway) events(query string, hdr ...string) *sse {
	g.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", g.http.URL+"/api/events?"+query, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusOK {
		cancel()
		g.t.Fatalf("events %q: %v %v", query, err, resp)
	}
	s := &sse{t: g.t, lines: make(chan string, 1024), cancel: cancel}
	g.t.Cleanup(func() { cancel(); resp.Body.Close() })
	first := make(chan struct{})
	go func() {
		defer close(s.lines)
		r := bufio.NewReader(resp.Body)
		once := false
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			if !once { // the retry: line, sent once subscribed
				once = true
				close(first)
				continue
			}
			if strings.HasPrefix(line, "data: ") {
				s.lines <- strings.TrimSpace(line[6:])
			}
		}
	}()
	select {
	case <-first:
	case <-time.After(wait):
		g.t.Fatal("event stream did not start")
	}
	return s
}

// message waits for a message event that match accepts.
func (s *sse) message(what string, match func(parley.Message) bool) parley.Message {
	s.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case line, ok := <-s.lines:
			if !ok {
				s.t.Fatalf("event stream ended waiting for %s", what)
			}
			var m parley.Message
			if json.Unmarshal([]byte(line), &m) == nil && match(m) {
				return m
			}
		case <-deadline:
			s.t.Fatalf("no event within %v: %s", wait, what)
		}
	}
}

// raw is a line-level IRC client, for checking exact replies.
type raw struct {
	t  *testing.T
	nc net.Conn
	r  *bufio.Reader
}

func (g *gateway) dial() *raw {
	g.t.Helper()
	nc, err := net.Dial("tcp", g.addr)
	if err != nil {
		g.t.Fatal(err)
	}
	g.t.Cleanup(func() { nc.Close() })
	return &raw{t: g.t, nc: nc, r: bufio.NewReaderSize(nc, 16<<10)}
}

func (c *raw) send(lines ...string) {
	c.t.Helper()
	for _, l := range lines {
		if _, err := io.WriteString(c.nc, l+"\r\n"); err != nil {
			c.t.Fatalf("send %q: %v", l, err)
		}
	}
}

// next reads one line, or returns the read error.
func (c *raw) next(timeout time.Duration) (ircmsg.Message, error) {
	_ = c.nc.SetReadDeadline(time.Now().Add(timeout))
	line, err := c.r.ReadString('\n')
	if err != nil {
		return ircmsg.Message{}, err
	}
	m, err := ircmsg.Parse(line)
	if err != nil {
		c.t.Fatalf("server sent an unparsable line %q: %v", line, err)
	}
	return m, nil
}

// expect reads lines until one with command (or numeric) cmd, and returns
// it; the lines before it are returned too, for checks of order.
func (c *raw) expect(cmd string) (ircmsg.Message, []ircmsg.Message) {
	c.t.Helper()
	var before []ircmsg.Message
	deadline := time.Now().Add(wait)
	for {
		m, err := c.next(time.Until(deadline))
		if err != nil {
			c.t.Fatalf("waiting for %s: %v (read so far: %v)", cmd, err, before)
		}
		if m.Command == cmd {
			return m, before
		}
		before = append(before, m)
	}
}

// expectClosed reads until the server closes the connection and returns
// the ERROR line's text, "" when there was none.
func (c *raw) expectClosed() string {
	c.t.Helper()
	deadline := time.Now().Add(wait)
	reason := ""
	for {
		m, err := c.next(time.Until(deadline))
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				c.t.Fatalf("connection still open after %v", wait)
			}
			return reason
		}
		if m.Command == "ERROR" {
			reason = m.Param(0)
		}
	}
}

// register registers a guest (or an account with PASS) and waits for the
// welcome.
func (c *raw) register(nick string, extra ...string) {
	c.t.Helper()
	c.send(extra...)
	c.send("NICK "+nick, "USER "+nick+" 0 * :"+nick)
	if m, _ := c.expect(ircmsg.RPL_WELCOME); m.Param(0) != nick {
		c.t.Fatalf("welcomed as %q, want %q", m.Param(0), nick)
	}
	c.expect(ircmsg.RPL_ENDOFMOTD)
}

// join joins a channel and waits for the end of its NAMES.
func (c *raw) join(channel string) []ircmsg.Message {
	c.t.Helper()
	c.send("JOIN " + channel)
	_, before := c.expect(ircmsg.RPL_ENDOFNAMES)
	return before
}

// client is a real IRC client library's connection (ergochat's ircevent),
// with every message it receives on a channel.
type client struct {
	t    *testing.T
	conn *ircevent.Connection
	msgs chan ergomsg.Message
}

// connect connects an ircevent client; account non-empty logs in with SASL
// PLAIN as that account.
func (g *gateway) connect(nick, account string, caps ...string) *client {
	g.t.Helper()
	c := &client{t: g.t, msgs: make(chan ergomsg.Message, 1024)}
	c.conn = &ircevent.Connection{
		Server:      g.addr,
		Nick:        nick,
		RequestCaps: caps,
		Log:         log.New(io.Discard, "", 0),
		Timeout:     wait,
		KeepAlive:   time.Minute,
	}
	if account != "" {
		c.conn.SASLLogin, c.conn.SASLPassword = account, password
	}
	// ircevent has no catch-all callback: collect what the tests look at.
	for _, cmd := range []string{"PRIVMSG", "NOTICE", "JOIN", "PART", "TOPIC", "ERROR", "FAIL",
		ircmsg.RPL_TOPIC, ircmsg.RPL_NAMREPLY, ircmsg.RPL_ENDOFNAMES, ircmsg.ERR_CANNOTSENDTOCHAN, ircmsg.ERR_NOSUCHNICK} {
		c.conn.AddCallback(cmd, func(m ergomsg.Message) {
			select {
			case c.msgs <- m:
			default:
			}
		})
	}
	if err := c.conn.Connect(); err != nil {
		g.t.Fatalf("IRC client %s: connect: %v", nick, err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.conn.Loop()
	}()
	g.t.Cleanup(func() {
		c.conn.Quit()
		<-done
	})
	return c
}

// expect waits for a message that match accepts.
func (c *client) expect(what string, match func(ergomsg.Message) bool) ergomsg.Message {
	c.t.Helper()
	deadline := time.After(wait)
	for {
		select {
		case m := <-c.msgs:
			if match(m) {
				return m
			}
		case <-deadline:
			c.t.Fatalf("IRC client %s: nothing within %v: %s", c.conn.CurrentNick(), wait, what)
		}
	}
}

// join joins channel and waits for the end of NAMES.
func (c *client) join(channel string) {
	c.t.Helper()
	if err := c.conn.Join(channel); err != nil {
		c.t.Fatal(err)
	}
	c.expect("end of NAMES for "+channel, func(m ergomsg.Message) bool {
		return m.Command == ircmsg.RPL_ENDOFNAMES && len(m.Params) > 1 && m.Params[1] == channel
	})
}

// privmsg matches a PRIVMSG to target with text.
func privmsg(target, text string) func(ergomsg.Message) bool {
	return func(m ergomsg.Message) bool {
		return m.Command == "PRIVMSG" && len(m.Params) == 2 && m.Params[0] == target && m.Params[1] == text
	}
}

// nickOf returns the nick of a message's source.
func nickOf(m ergomsg.Message) string {
	nick, _, _ := strings.Cut(m.Source, "!")
	return nick
}
