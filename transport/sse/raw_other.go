//go:build !unix

package sse

import (
	"net/http"
	"time"
)

// serveRaw is Unix-only; elsewhere every stream is buffered.
func (s *Handler) serveRaw(http.ResponseWriter, *http.Request, request) bool { return false }

type rawConn struct{}

func (c *rawConn) heartbeat(time.Time, time.Duration) {}
func (c *rawConn) close()                             {}
