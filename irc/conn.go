package irc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/hub"
	"github.com/parley-chat/parley/irc/ircmsg"
	"github.com/parley-chat/parley/stream"
)

// callTimeout bounds one call into Parley (a post, a store read).
const callTimeout = 10 * time.Second

// conn is one client connection. Fields without a comment belong to the
// reader goroutine.
type conn struct {
	s   *Server
	nc  net.Conn // the connection, TLS or not
	raw net.Conn // the TCP connection under nc, closed by kill
	key string   // rate-limit key: the client's IP address
	q   *sendq

	ctx    context.Context
	cancel context.CancelFunc

	lastRead   atomic.Int64 // unix nanoseconds of the last line read
	pingSent   atomic.Bool  // a PING is out, unanswered
	registered atomic.Bool
	caps       atomic.Uint32          // enabled capabilities (cap bits)
	away       atomic.Pointer[string] // the AWAY message; nil: here
	oper       atomic.Bool            // OPER succeeded
	invisible  atomic.Bool            // user mode +i
	ending     atomic.Bool            // quitting or closed: no longer listed (see markGone)
	writerDone chan struct{}

	// nick is set before registration and fixed after it; the hub's
	// goroutines read it only once registered (subscriptions start then).
	nick     string
	user     string
	realname string
	userSet  bool
	pass     string
	capNeg   bool // CAP negotiation in progress: registration waits for CAP END
	sasl     saslState
	authed   bool // id was established by SASL
	id       parley.Identity
	flood    *flood
	channels map[string]*sink  // joined rooms
	dm       *sink             // the user's direct messages (registered users)
	creds    *hub.Subscription // the identity's credential topics (see credentials)
	release  func()            // gives back the connection's place under Config.Limit
	here     stream.Session    // presence; nil until registered or when anonymous
	quitting bool
	quitMsg  string // the QUIT message; "" when the client did not quit
	regTimer *time.Timer

	// presRooms are the rooms the presence session is in, under presMu:
	// the reader moves it, and a kick (on its own goroutine) too.
	presMu    sync.Mutex
	presRooms []string

	// own remembers this connection's own posts, so that without
	// echo-message they are not sent back to it (see post).
	ownMu   sync.Mutex
	posting bool
	held    []*parley.Event
	own     [16]int64
	ownNext int
}

func newConn(s *Server, nc net.Conn) *conn {
	c := &conn{
		s:          s,
		nc:         nc,
		raw:        nc,
		key:        hostOf(nc.RemoteAddr()),
		q:          newSendq(s.cfg.SendQ),
		writerDone: make(chan struct{}),
		channels:   make(map[string]*sink),
		flood:      newFlood(s.cfg.FloodRate, s.cfg.FloodBurst, time.Now()),
	}
	if tc, ok := nc.(*tls.Conn); ok {
		c.raw = tc.NetConn()
	}
	c.ctx, c.cancel = context.WithCancel(s.ctx)
	c.lastRead.Store(time.Now().UnixNano())
	return c
}

func hostOf(a net.Addr) string {
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// serve runs the connection on its own goroutine until it ends.
func (c *conn) serve() {
	defer c.s.remove(c)
	go c.writeLoop()
	c.regTimer = time.AfterFunc(c.s.cfg.RegisterTimeout, func() {
		if !c.registered.Load() {
			c.quit("Registration timed out: send NICK and USER (and CAP END) to register")
		}
	})
	c.readLoop()
	c.finish()
}

func (c *conn) readLoop() {
	r := ircmsg.NewReader(c.nc, 0)
	idle := c.s.cfg.PingInterval + c.s.cfg.PingTimeout
	for !c.quitting {
		_ = c.nc.SetReadDeadline(time.Now().Add(idle))
		line, err := r.ReadLine()
		now := time.Now()
		if err == nil || errors.Is(err, ircmsg.ErrInputTooLong) {
			c.lastRead.Store(now.UnixNano())
			c.pingSent.Store(false)
			if !c.flood.allow(now) {
				c.quit("Excess Flood: send fewer lines at once")
				return
			}
		}
		switch {
		case err == nil:
			c.handle(string(line))
		case errors.Is(err, ircmsg.ErrInputTooLong):
			c.reply(ircmsg.ERR_INPUTTOOLONG, "Input line was too long: at most 512 bytes, plus tags")
		default:
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				c.quit(fmt.Sprintf("Ping timeout: %d seconds", int(idle.Seconds())))
			}
			return
		}
	}
}

// maxClientTags bounds the tags a client sends (IRCv3 message-tags: 4094
// bytes, without the '@' and the space).
const maxClientTags = 4094

// handle parses and runs one line.
func (c *conn) handle(line string) {
	if tags, _, _ := strings.Cut(line, " "); strings.HasPrefix(tags, "@") && len(tags)-1 > maxClientTags {
		c.reply(ircmsg.ERR_INPUTTOOLONG, "Input line was too long: tags may take at most 4094 bytes")
		return
	}
	m, err := ircmsg.Parse(line)
	if err != nil {
		var perr *ircmsg.Error
		errors.As(err, &perr)
		switch {
		case errors.Is(err, ircmsg.ErrEmpty):
		case errors.Is(err, ircmsg.ErrInputTooLong):
			c.reply(ircmsg.ERR_INPUTTOOLONG, "Input line was too long: at most 512 bytes, plus tags")
		case errors.Is(err, ircmsg.ErrBadCommand) && perr != nil:
			c.reply(ircmsg.ERR_UNKNOWNCOMMAND, cut(perr.Command, 32), "Unknown command")
		default:
			c.reply(ircmsg.ERR_UNKNOWNERROR, "*", "Malformed line: "+err.Error())
		}
		return
	}
	if !m.ValidUTF8() {
		c.send(ircmsg.Message{Source: c.s.cfg.ServerName, Command: "FAIL",
			Params: []string{cut(m.Command, 32), "INVALID_UTF8", "Line rejected: it is not valid UTF-8; set your client's encoding to UTF-8"}})
		return
	}
	c.dropKicked()
	c.dispatch(m)
}

// cut shortens an untrusted string before it is echoed back, on a rune
// boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}

// writeLoop is the writer goroutine: it writes what is queued until the
// queue is closed, then closes the connection.
func (c *conn) writeLoop() {
	defer close(c.writerDone)
	defer c.nc.Close()
	for range c.q.ready {
		b, closed := c.q.take()
		if len(b) > 0 {
			_ = c.nc.SetWriteDeadline(time.Now().Add(c.s.cfg.WriteTimeout))
			if _, err := c.nc.Write(b); err != nil {
				c.kill()
				return
			}
		}
		if closed {
			return
		}
	}
}

// finish releases the connection once the reader is done.
func (c *conn) finish() {
	c.regTimer.Stop()
	c.q.close(nil)
	<-c.writerDone
	c.nc.Close()
	for _, sk := range c.channels {
		sk.sub.Cancel()
	}
	if c.creds != nil {
		c.creds.Cancel()
	}
	if c.dm != nil {
		c.dm.sub.Cancel()
	}
	c.leavePresence()
	c.cancel()
}

// quit ends the connection with "ERROR :reason" once what is queued has
// been written. It may be called from any goroutine.
func (c *conn) quit(reason string) {
	c.markGone()
	line := ircmsg.Message{Command: "ERROR", Params: []string{"Closing link: " + reason}}
	c.q.close(append(line.Append(nil), '\r', '\n'))
}

// kill closes the connection at once, without blocking: from the hub when
// the client has fallen too far behind, or at shutdown.
func (c *conn) kill() {
	c.markGone()
	c.q.close(nil)
	c.raw.Close()
}

// markGone takes the connection out of the lists (WHO, LUSERS, private
// messages) as soon as it is ending, not when its goroutines are done,
// and remembers it for WHOWAS; once. Any goroutine; s.mu must not be held.
func (c *conn) markGone() {
	if !c.ending.CompareAndSwap(false, true) || !c.isRegistered() {
		return
	}
	c.s.mu.Lock()
	c.s.rememberGone(c)
	c.s.mu.Unlock()
}

// maybePing sends a PING to a connection silent for PingInterval.
func (c *conn) maybePing(now time.Time) {
	if now.Sub(time.Unix(0, c.lastRead.Load())) < c.s.cfg.PingInterval || c.pingSent.Swap(true) {
		return
	}
	c.send(ircmsg.Message{Command: "PING", Params: []string{c.s.cfg.ServerName}})
}

// push queues encoded lines; a client whose queue is full is disconnected.
func (c *conn) push(b []byte) {
	if len(b) > 0 && !c.q.push(b) {
		c.s.log.Debug("irc: client fell behind; disconnecting (SendQ exceeded)", "nick", c.name())
		c.s.cfg.Counters.CutOff()
		c.kill()
	}
}

// send queues one message.
func (c *conn) send(m ircmsg.Message) {
	c.push(append(m.Append(make([]byte, 0, 128)), '\r', '\n'))
}

// reply sends a numeric reply to the client.
func (c *conn) reply(numeric string, params ...string) {
	c.send(ircmsg.Reply(c.s.cfg.ServerName, c.nick, numeric, params...))
}

// awayMessage is the client's AWAY message, "" when it is here; any
// goroutine.
func (c *conn) awayMessage() string {
	if p := c.away.Load(); p != nil {
		return *p
	}
	return ""
}

// userName is the client's USER name as other clients see it: at most 10
// letters, digits, '-', '_' and '.', "~" before it (not verified), or
// the nick. Set before registration, fixed after it; any goroutine once
// registered.
func (c *conn) userName() string {
	u := strings.Map(func(r rune) rune {
		if r < 128 && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return r
		}
		return -1
	}, c.user)
	if u == "" {
		return c.nick
	}
	return "~" + cut(u, 10)
}

// quitPrefix starts the reason of a leave that was an IRC QUIT, so that
// other IRC clients see QUIT rather than PART.
const quitPrefix = "Quit: "

// quitReason is the leave reason when the connection ends.
func (c *conn) quitReason() string {
	if c.quitMsg != "" {
		return quitPrefix + c.quitMsg
	}
	return quitPrefix + "Connection closed"
}

// source is the client's own prefix.
func (c *conn) source() string { return c.s.source(c.nick) }

// name returns the registered nick, "" before registration; any goroutine.
func (c *conn) name() string {
	if !c.registered.Load() {
		return ""
	}
	return c.nick
}

func (c *conn) isRegistered() bool { return c.registered.Load() }

// call returns a context for one call into Parley.
func (c *conn) call() (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.ctx, callTimeout)
}

// rooms returns the joined rooms, sorted.
func (c *conn) rooms() []string {
	out := make([]string, 0, len(c.channels))
	for r := range c.channels {
		out = append(out, r)
	}
	slices.Sort(out)
	return out
}

// movePresence puts the connection's presence into its joined rooms.
func (c *conn) movePresence() { c.movePresenceReason("") }

// reasonedSession is a presence session whose leaves can say why (the
// server's presence does): PART and QUIT messages reach the web as the
// leave notice's text, and other IRC clients as the PART or QUIT reason.
// Both record the notices before they return (the reader goroutine may
// block), so that the others get a client's QUIT before its socket closes.
type reasonedSession interface {
	MoveWithReason(rooms []string, reason string)
	LeaveWithReason(reason string)
}

// leavePresence ends the connection's presence with the reason of its
// end; only the first call counts.
func (c *conn) leavePresence() {
	if c.here == nil {
		return
	}
	if rs, ok := c.here.(reasonedSession); ok {
		rs.LeaveWithReason(c.quitReason())
	} else {
		c.here.Leave()
	}
}

// movePresenceReason is movePresence with a reason for the leaves.
func (c *conn) movePresenceReason(reason string) {
	if c.here == nil {
		return
	}
	c.presMu.Lock()
	defer c.presMu.Unlock()
	c.presRooms = c.rooms()
	c.setPresence(reason)
}

// setPresence moves the presence session into presRooms; presMu is held.
func (c *conn) setPresence(reason string) {
	if rs, ok := c.here.(reasonedSession); ok && reason != "" {
		rs.MoveWithReason(c.presRooms, reason)
		return
	}
	c.here.Move(c.presRooms)
}

// leftRoom takes room out of the presence at once, from any goroutine but
// a hub's (it may block): a user kicked from a channel is gone from its
// names before the reader drops the channel.
func (c *conn) leftRoom(room string) {
	if c.here == nil {
		return
	}
	c.presMu.Lock()
	defer c.presMu.Unlock()
	if i := slices.Index(c.presRooms, room); i >= 0 {
		c.presRooms = slices.Delete(slices.Clone(c.presRooms), i, i+1)
		c.setPresence("")
	}
}
