package bench

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// newHTTPClient returns the client posters (and room creation) use:
// keep-alive, one idle connection kept per poster, no proxy, no
// compression.
func newHTTPClient(posters int, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		Proxy:               nil,
		DialContext:         (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:        posters + 4,
		MaxIdleConnsPerHost: posters + 4,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

var jsonContentType = []string{"application/json"}

// posting posts the benchmark messages.
type posting struct {
	client   *http.Client
	url      string
	messages int64
	rate     float64

	// With -rooms: the URL of each post (its room and node), and a hook
	// told of each acknowledged one. Nil: every post goes to url.
	urlFor func(seq int64) string
	onAck  func(seq int64)

	lat Histogram // post round trip of acknowledged posts, ns

	next      atomic.Int64 // last sequence number handed out
	ok        atomic.Int64
	attempted atomic.Int64
	lastAck   atomic.Int64 // unix nanos

	mu   sync.Mutex
	errs map[string]int64 // refused or failed posts, by class
}

func newPosting(client *http.Client, url string, messages int, rate float64) *posting {
	return &posting{client: client, url: url, messages: int64(messages), rate: rate, errs: map[string]int64{}}
}

// run posts every message with k posters and returns when all are done or
// ctx is cancelled. With a rate, message seq is due at
// start + (seq-1)/rate, whichever poster sends it; a poster that falls
// behind sends at once.
func (p *posting) run(ctx context.Context, k int, start time.Time) {
	var wg sync.WaitGroup
	for range k {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.poster(ctx, start)
		}()
	}
	wg.Wait()
}

func (p *posting) poster(ctx context.Context, start time.Time) {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for ctx.Err() == nil {
		seq := p.next.Add(1)
		if seq > p.messages {
			return
		}
		if p.rate > 0 {
			due := start.Add(time.Duration(float64(seq-1) * float64(time.Second) / p.rate))
			if d := time.Until(due); d > 0 {
				if timer == nil {
					timer = time.NewTimer(d)
				} else {
					timer.Reset(d)
				}
				select {
				case <-timer.C:
				case <-ctx.Done():
					return
				}
			}
		}
		p.post(ctx, seq)
	}
}

func (p *posting) post(ctx context.Context, seq int64) {
	sent := time.Now()
	body := appendPostBody(make([]byte, 0, 80), seq, sent.UnixNano())
	u := p.url
	if p.urlFor != nil {
		u = p.urlFor(seq)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		p.fail(err)
		return
	}
	req.Header = http.Header{"Content-Type": jsonContentType}
	p.attempted.Add(1)
	resp, err := p.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			err = ctx.Err()
		}
		p.fail(err)
		return
	}
	if resp.StatusCode != http.StatusCreated {
		err = httpStatusError(resp.StatusCode, resp.Body)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		p.fail(err)
		return
	}
	now := time.Now()
	p.lat.Record(int64(now.Sub(sent)))
	p.ok.Add(1)
	if p.onAck != nil {
		p.onAck(seq)
	}
	for {
		last := p.lastAck.Load()
		if now.UnixNano() <= last || p.lastAck.CompareAndSwap(last, now.UnixNano()) {
			break
		}
	}
}

func (p *posting) fail(err error) {
	p.mu.Lock()
	p.errs[errClass(err)]++
	p.mu.Unlock()
}

// createRoom creates the room, which may already exist.
func createRoom(ctx context.Context, client *http.Client, url, room string) error {
	body := []byte(`{"name":"` + room + `"}`) // room is validated: no escaping needed
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header = http.Header{"Content-Type": jsonContentType}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch resp.StatusCode {
	case http.StatusCreated, http.StatusConflict:
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	return httpStatusError(resp.StatusCode, resp.Body)
}
