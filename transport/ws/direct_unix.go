//go:build unix

package ws

import (
	"net"
	"syscall"
)

// socketFD returns the descriptor of a plain TCP connection, or -1 (TLS,
// test pipes): direct writes are then not used.
func socketFD(nc net.Conn) int {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return -1
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return -1
	}
	fd := -1
	if rc.Control(func(f uintptr) { fd = int(f) }) != nil {
		return -1
	}
	return fd
}

// writeNow is one write(2) on the non-blocking socket; a full socket
// buffer writes fewer bytes, or none, without an error.
//
// It writes to the descriptor directly instead of through syscall.RawConn,
// which re-arms the poller on every call. That is safe because the caller
// holds wire.fdMu and has checked that the socket is not closed; closing
// takes fdMu first (see wire.Close).
func writeNow(fd int, b []byte) (int, error) {
	written := 0
	for written < len(b) {
		n, err := syscall.Write(fd, b[written:])
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return written, nil
		case err != nil:
			return written, err
		}
		written += n
	}
	return written, nil
}
