package bench

import (
	"context"
	"net/url"
	"sort"
)

// A transport opens subscriptions to the benchmark room. Adding one (the
// WebSocket and long-poll transports are planned) means writing a
// constructor and a stream, and registering it in transports; the
// subscriber bookkeeping does not change.
type transport interface {
	// open dials and subscribes. The connection must live no longer than
	// ctx: when ctx is done, the stream is closed and next fails. open
	// bounds its own handshake (-connect-timeout).
	open(ctx context.Context) (stream, error)
}

// A stream is one open subscription, read by one goroutine.
type stream interface {
	// next blocks until the next frame. A stream returns a ready frame
	// once, when the server has confirmed the subscription (SSE: the
	// retry: line); only after every subscriber is ready does posting
	// start.
	next() (frame, error)
	// close releases the connection; it may be called more than once.
	close() error
}

// frame is what a stream delivers.
type frame struct {
	ready bool   // the subscription is established
	id    int64  // the event's message ID; 0 when it carried none
	data  []byte // the message JSON; valid until the next call to next
}

// transports maps -transport names to constructors; base is the node the
// transport's subscribers connect to (one of -url).
var transports = map[string]func(c *config, base *url.URL) (transport, error){
	"sse":  newSSETransport,
	"ws":   newWSTransport,
	"poll": newPollTransport,
}

func transportNames() []string {
	names := make([]string, 0, len(transports))
	for n := range transports {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
