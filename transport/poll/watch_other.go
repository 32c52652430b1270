//go:build !linux

package poll

import "net"

// watcher is Linux only (epoll); elsewhere no Listener is made and every
// poll is held by a goroutine.
type watcher struct{}

type watched interface{ readable() }

func newWatcher() *watcher                 { return nil }
func (w *watcher) add(int, watched) bool   { return false }
func (w *watcher) rearm(int, watched) bool { return false }
func (w *watcher) remove(int, watched)     {}
func (w *watcher) close()                  {}

const (
	peekNothing = iota
	peekData
	peekGone
)

func peek(net.Conn) int { return peekNothing }
