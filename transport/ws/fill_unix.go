//go:build unix

package ws

import (
	"io"
	"syscall"
)

// fill reads what the socket holds without waiting; errWouldBlock when it
// holds nothing.
func (in *inbound) fill() error {
	in.grow(inboundReadSize)
	for {
		var n int
		var err error
		if rerr := in.raw.Read(func(fd uintptr) bool {
			n, err = syscall.Read(int(fd), in.buf[len(in.buf):cap(in.buf)])
			return true // never wait
		}); rerr != nil {
			return rerr
		}
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			in.release()
			return errWouldBlock
		case err != nil:
			return err
		case n == 0:
			return io.EOF
		}
		in.buf = in.buf[:len(in.buf)+n]
		return nil
	}
}
