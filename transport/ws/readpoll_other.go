//go:build !linux

package ws

// readPoller is Linux only (epoll); elsewhere every connection keeps a
// reader goroutine.
type readPoller struct{}

func newReadPoller() (*readPoller, error)  { return nil, nil }
func (p *readPoller) Close()               {}
func (p *readPoller) add(*conn, bool) bool { return false }
func (p *readPoller) rearm(*conn) bool     { return false }
func (p *readPoller) remove(*conn) bool    { return false }
