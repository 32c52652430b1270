package ws

import (
	"crypto/sha1"
	"encoding/base64"
	"net"
	"net/http"
	"time"

	"github.com/parley-chat/parley"
)

// acceptGUID is RFC 6455's constant for Sec-WebSocket-Accept.
const acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// checkHandshake checks what the opening handshake must carry besides
// "Upgrade: websocket" (RFC 6455 section 4.2.1). Compression and
// subprotocols are not offered: a client that asks for them gets the
// plain protocol, as the RFC allows.
func checkHandshake(r *http.Request) error {
	switch {
	case r.Method != http.MethodGet:
		return parley.Errorf(parley.EInvalid, "a WebSocket handshake is a GET request")
	case !r.ProtoAtLeast(1, 1):
		return parley.Errorf(parley.EInvalid, "a WebSocket handshake needs HTTP/1.1")
	case !headerHasToken(r.Header, "Connection", "upgrade"):
		return parley.Errorf(parley.EInvalid, "a WebSocket handshake needs Connection: Upgrade")
	case r.Header.Get("Sec-WebSocket-Version") != "13":
		return errVersion
	}
	key, err := base64.StdEncoding.DecodeString(r.Header.Get("Sec-WebSocket-Key"))
	if err != nil || len(key) != 16 {
		return parley.Errorf(parley.EInvalid, "Sec-WebSocket-Key must be 16 bytes in base64")
	}
	return nil
}

// errVersion refuses a WebSocket version other than 13.
var errVersion = parley.Errorf(parley.EInvalid, "unsupported WebSocket version: this server speaks version 13 (Sec-WebSocket-Version: 13)")

// upgrade takes the connection from net/http and answers 101 Switching
// Protocols. Bytes the client sent after its request (a first frame sent
// without waiting for the 101) are kept for the reader. net/http's
// buffers are dropped with the hijack: an idle connection holds none.
func (h *Handler) upgrade(w http.ResponseWriter, r *http.Request, c *conn) error {
	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return parley.Errorf(parley.EInvalid, "WebSocket needs an HTTP/1.1 connection that can be taken over: %v", err)
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		if h.cfg.SendBuffer > 0 {
			// A fixed send buffer (instead of the kernel's autotuning up
			// to megabytes) bounds what a stalled client costs in kernel
			// memory.
			_ = tc.SetWriteBuffer(h.cfg.SendBuffer)
		}
		if rc, err := tc.SyscallConn(); err == nil {
			c.in.raw = rc
		}
	}
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		c.in.buf = append(make([]byte, 0, max(inboundReadSize, n)), early...)
	}
	sum := sha1.Sum([]byte(r.Header.Get("Sec-WebSocket-Key") + acceptGUID))
	resp := make([]byte, 0, 160)
	resp = append(resp, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: "...)
	resp = base64.StdEncoding.AppendEncode(resp, sum[:])
	resp = append(resp, "\r\n\r\n"...)
	_ = nc.SetWriteDeadline(time.Now().Add(h.cfg.WriteTimeout))
	if _, err := nc.Write(resp); err != nil {
		nc.Close()
		return err
	}
	c.wire.init(nc, h.cfg.WriteTimeout, &c.mu)
	return nil
}
