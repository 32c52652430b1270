package sse

import (
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT from linux/tcp.h.
const tcpUserTimeout = 0x12

// setUserTimeout makes the kernel drop the connection when sent data stays
// unacknowledged for d: a client whose machine lost power is then noticed
// at the next heartbeat plus d, not after TCP's retransmissions (minutes).
func setUserTimeout(fd int, d time.Duration) {
	_ = syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, tcpUserTimeout, int(d.Milliseconds()))
}
