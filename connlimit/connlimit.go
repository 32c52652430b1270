// Package connlimit caps the connections one transport holds open: per
// client address, so that one client cannot take a node's file
// descriptors and memory, and in all, so that a node refuses cleanly
// instead of failing at its file limit.
package connlimit

import (
	"net"
	"net/netip"
	"sync"
	"sync/atomic"

	"github.com/parley-chat/parley"
)

// Limiter counts one transport's open connections. The zero value is not
// usable; a nil *Limiter admits everything.
type Limiter struct {
	what      string // "event streams", for messages
	perClient int    // 0: no cap per client
	total     int    // 0: no cap in all

	mu  sync.Mutex
	n   map[netip.Addr]int
	all int

	opened, closed, refusedClient, refusedFull atomic.Uint64
}

// New returns a limiter for what ("event streams", "WebSockets", ...):
// at most perClient open connections from one client address and total
// in all; 0 turns a cap off.
func New(what string, perClient, total int) *Limiter {
	return &Limiter{what: what, perClient: perClient, total: total, n: make(map[netip.Addr]int)}
}

// Acquire admits one more connection from the client at remoteAddr (an
// http.Request's RemoteAddr, already the real client behind trusted
// proxies) or refuses it: ERateLimited when that client has too many
// open, EUnavailable when the node is full. release, called when the
// connection ends, is safe to call more than once.
func (l *Limiter) Acquire(remoteAddr string) (release func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	addr := clientAddr(remoteAddr)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.total > 0 && l.all >= l.total {
		l.refusedFull.Add(1)
		return nil, parley.Errorf(parley.EUnavailable, "this server holds as many %s as it can (%d): retry later or use another server", l.what, l.total)
	}
	if l.perClient > 0 && l.n[addr] >= l.perClient {
		l.refusedClient.Add(1)
		return nil, parley.Errorf(parley.ERateLimited, "too many %s open from your address (at most %d): close some (browser tabs, say) and retry", l.what, l.perClient)
	}
	l.n[addr]++
	l.all++
	l.opened.Add(1)
	var done atomic.Bool
	return func() {
		if done.Swap(true) {
			return
		}
		l.closed.Add(1)
		l.mu.Lock()
		defer l.mu.Unlock()
		l.all--
		if l.n[addr]--; l.n[addr] <= 0 {
			delete(l.n, addr)
		}
	}, nil
}

// Open returns the number of open connections.
func (l *Limiter) Open() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.all
}

// clientAddr is the address part of remoteAddr, IPv4-mapped IPv6 folded
// to IPv4 so that one client counts once; IPv6 clients count by their /64,
// which one host usually holds whole.
func clientAddr(remoteAddr string) netip.Addr {
	host, _, err := net.SplitHostPort(remoteAddr)
	if err != nil {
		host = remoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}
	}
	a = a.Unmap()
	if a.Is6() {
		if p, err := a.Prefix(64); err == nil {
			return p.Addr()
		}
	}
	return a
}

// Stats are a Limiter's counters since New, for metrics.
type Stats struct {
	Open          int    // connections held now
	Opened        uint64 // connections admitted
	Closed        uint64 // connections given back
	RefusedClient uint64 // refused: their address held its share
	RefusedFull   uint64 // refused: the transport held its total
}

// Stats returns the counters; the zero Stats for a nil Limiter.
func (l *Limiter) Stats() Stats {
	if l == nil {
		return Stats{}
	}
	return Stats{
		Open:          l.Open(),
		Opened:        l.opened.Load(),
		Closed:        l.closed.Load(),
		RefusedClient: l.refusedClient.Load(),
		RefusedFull:   l.refusedFull.Load(),
	}
}
