package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const userAgent = "Parley-Webhook"

// work is one worker: it takes payloads due for an attempt until ctx is
// done, or until Close was called and none is left.
func (s *Sender) work(ctx context.Context) {
	for ctx.Err() == nil {
		select {
		case d := <-s.ready:
			s.deliver(ctx, d)
		case <-s.draining:
			select {
			case d := <-s.ready:
				s.deliver(ctx, d)
			default:
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// outcome is what one attempt came to.
type outcome struct {
	status     int           // HTTP status; 0 when err is set
	retryAfter time.Duration // from a Retry-After header, capped; 0 if none
	snippet    []byte        // the start of the answer's body, for the log
	err        error         // network error or timeout
}

// deliver makes one attempt at d and decides what follows: done, dropped,
// or a retry after a wait.
func (s *Sender) deliver(ctx context.Context, d *delivery) {
	if ctx.Err() != nil {
		return // stopping: finish counts d as dropped
	}
	if d.body == nil {
		b, err := json.Marshal(&d.p)
		if err != nil {
			// Only a time outside years 0–9999 can get here.
			s.cfg.Logger.Error("webhook payload cannot be encoded; dropped", append(logAttrs(d), "err", err)...)
			s.droppedRejected.Add(1)
			s.release()
			return
		}
		d.body = b
	}
	d.attempt++
	o := s.post(ctx, d)
	switch {
	case o.err == nil && o.status >= 200 && o.status < 300:
		s.delivered.Add(1)
		s.release()
		s.succeeded()
		return
	case o.err != nil && ctx.Err() != nil:
		// Cancelled by Run's end, not the receiver's fault. The receiver
		// may have got it; finish counts it as dropped.
		return
	}
	s.failedAttempts.Add(1)
	attrs := logAttrs(d)
	if o.err != nil {
		attrs = append(attrs, "err", o.err)
	} else {
		attrs = append(attrs, "status", o.status)
		if len(o.snippet) > 0 {
			attrs = append(attrs, "answer", string(o.snippet))
		}
	}
	switch {
	case o.err == nil && !retryable(o.status):
		s.droppedRejected.Add(1)
		s.release()
		s.failed(true, "webhook receiver refused a payload; dropped (a 3xx or 4xx answer is not retried: check the URL, and the secret the receiver verifies with)", attrs)
	case d.attempt >= s.cfg.MaxAttempts:
		s.droppedExhausted.Add(1)
		s.release()
		s.failed(true, "webhook delivery failed "+strconv.Itoa(d.attempt)+" times; dropped", attrs)
	default:
		wait := max(s.cfg.Backoff(d.attempt), o.retryAfter, 0)
		if s.retryLater(d, wait) {
			s.retries.Add(1)
			s.failed(false, "webhook delivery failed; will retry", append(attrs, "retry_in", wait))
		} else {
			s.failed(false, "webhook delivery failed; not retried: the sender is closing", attrs)
		}
	}
}

// retryable reports whether an answer with this status is worth another
// attempt: the receiver is failing (5xx), overloaded (429) or timed out
// reading the request (408). Any other status would come again.
func retryable(status int) bool {
	return status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout
}

// post sends one attempt: the same body and ID every time, a new
// signature (for the current time) and the attempt number.
func (s *Sender) post(ctx context.Context, d *delivery) outcome {
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.cfg.URL, bytes.NewReader(d.body))
	if err != nil {
		return outcome{err: err} // the URL was checked in New
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", userAgent)
	h.Set(HeaderID, d.p.ID)
	h.Set(HeaderAttempt, strconv.Itoa(d.attempt))
	h.Set(HeaderSignature, Sign(s.cfg.Secret, time.Now(), d.body))
	resp, err := s.client.Do(req)
	if err != nil {
		// A url.Error repeats the URL, which may carry a token.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return outcome{err: err}
	}
	defer resp.Body.Close()
	o := outcome{status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		o.snippet, _ = io.ReadAll(io.LimitReader(resp.Body, 200))
		o.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
	}
	// Read a little more, so that the connection can serve the next
	// request; a receiver that answers at length gets a new one.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 16<<10))
	return o
}

// parseRetryAfter reads a Retry-After header, in seconds or as an HTTP
// date, as a wait from now of at most MaxRetryAfter. It returns 0 when h
// is absent or unreadable.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if secs, err := strconv.ParseInt(h, 10, 64); err == nil {
		if secs <= 0 {
			return 0
		}
		if secs >= int64(MaxRetryAfter/time.Second) {
			return MaxRetryAfter
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(h); err == nil {
		return min(max(t.Sub(now), 0), MaxRetryAfter)
	}
	return 0
}

// retryLater puts d back in the ready queue after wait, in a timer: a
// waiting retry holds no worker. It stays counted in held meanwhile. Once
// the sender is closing nothing is retried: retryLater returns false and
// finish counts d as dropped.
func (s *Sender) retryLater(d *delivery, wait time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	// The timer's function takes s.mu, so it cannot run before the timer
	// is in the map.
	s.timers[d] = time.AfterFunc(wait, func() {
		s.mu.Lock()
		delete(s.timers, d)
		s.mu.Unlock()
		s.ready <- d // never blocks: d is counted in held
	})
	return true
}

// release gives up the place of a payload that is done with.
func (s *Sender) release() {
	s.mu.Lock()
	s.held--
	s.mu.Unlock()
}

// failed logs a failed attempt; dropped says the payload was given up.
// Within a streak of failures (until the next success), only the first
// failure and the first drop are logged at Warn, the rest at Debug, so
// that an outage of the receiver costs three log lines, not one per
// payload; the success that ends it logs how many were dropped.
func (s *Sender) failed(dropped bool, msg string, attrs []any) {
	s.mu.Lock()
	first := !s.failing || (dropped && s.streak == 0)
	s.failing = true
	if dropped {
		s.streak++
	}
	s.mu.Unlock()
	if first {
		s.cfg.Logger.Warn(msg, attrs...)
	} else {
		s.cfg.Logger.Debug(msg, attrs...)
	}
}

// succeeded ends a streak of failures, logging how many payloads it cost.
func (s *Sender) succeeded() {
	s.mu.Lock()
	was, dropped := s.failing, s.streak
	s.failing, s.streak = false, 0
	s.mu.Unlock()
	if was {
		s.cfg.Logger.Info("webhook deliveries succeed again", "dropped_meanwhile", dropped)
	}
}
