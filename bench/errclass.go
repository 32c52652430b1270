package bench

import (
	"context"
	"errors"
	"io"
	"net"
	"syscall"
)

// errClass turns an error into a short, address-free label, so that
// thousands of failures fold into a few report lines.
func errClass(err error) string {
	var se *statusError
	var ne net.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &se):
		return se.Error()
	case errors.Is(err, context.Canceled):
		return "interrupted"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by server"
	case errors.Is(err, syscall.EPIPE):
		return "broken pipe"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return "too many open files"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return "no free local port"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "connection closed by server"
	case errors.Is(err, net.ErrClosed):
		return "connection closed"
	}
	s := err.Error()
	if len(s) > 100 {
		s = s[:100] + "…"
	}
	return s
}
