package webhook

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/parley-chat/parley"
)

// These tests run in a synctest bubble: time is fake and moves only when
// every goroutine is blocked, so backoffs, Retry-After and timeouts pass
// at once and exactly; and the bubble fails the test if any goroutine is
// still around at its end, so every test here is also a leak check.

func msg(id int64) Payload {
	return MessagePayload(parley.Message{ID: id, Room: "lobby", Kind: parley.KindMessage, From: "ada", Text: "hi", Time: time.Now()})
}

func TestRetryAfter(t *testing.T) {
	tests := []struct {
		name   string
		header func(now time.Time) string
		want   time.Duration // wait between the two attempts
	}{
		{"seconds", func(time.Time) string { return "30" }, 30 * time.Second},
		{"HTTP date", func(now time.Time) string { return now.Add(45 * time.Second).Format(http.TimeFormat) }, 45 * time.Second},
		{"capped", func(time.Time) string { return "86400" }, MaxRetryAfter},
		{"date capped", func(now time.Time) string { return now.Add(24 * time.Hour).Format(http.TimeFormat) }, MaxRetryAfter},
		{"shorter than the backoff", func(time.Time) string { return "1" }, 2 * time.Second},
		{"zero", func(time.Time) string { return "0" }, 2 * time.Second},
		{"date in the past", func(now time.Time) string { return now.Add(-time.Hour).Format(http.TimeFormat) }, 2 * time.Second},
		{"unreadable", func(time.Time) string { return "soon" }, 2 * time.Second},
	}
	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		for _, tt := range tests {
			t.Run(http.StatusText(code)+"/"+tt.name, func(t *testing.T) {
				synctest.Test(t, func(t *testing.T) {
					rc := newReceiver(func(n int, w http.ResponseWriter, _ *http.Request) {
						if n == 1 {
							w.Header().Set("Retry-After", tt.header(time.Now()))
							w.WriteHeader(code)
						}
					})
					cfg := memConfig(rc)
					cfg.Backoff = func(int) time.Duration { return 2 * time.Second }
					s, stop := start(t, cfg)
					s.Enqueue(msg(1))
					first, second := rc.next(t), rc.next(t)
					if got := second.at.Sub(first.at); got != tt.want {
						t.Errorf("retried after %v, want %v", got, tt.want)
					}
					if err := stop(); err != nil {
						t.Errorf("Run = %v", err)
					}
					if st := s.Stats(); st != (Stats{Delivered: 1, FailedAttempts: 1, Retries: 1}) {
						t.Errorf("Stats = %+v", st)
					}
				})
			})
		}
	}
}

func TestRetriedStatuses(t *testing.T) {
	for _, code := range []int{500, 502, 503, 504, 408, 429} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rc := newReceiver(failFirst(2, code))
				s, stop := start(t, memConfig(rc))
				s.Enqueue(msg(1))
				for want := 1; want <= 3; want++ {
					if r := rc.next(t); r.attempt != itoa(want) || r.id != "msg-1" {
						t.Fatalf("request %d: attempt %q, id %q", want, r.attempt, r.id)
					}
				}
				stop()
				if st := s.Stats(); st != (Stats{Delivered: 1, FailedAttempts: 2, Retries: 2}) {
					t.Errorf("Stats = %+v", st)
				}
			})
		})
	}
}

func TestNoRetryOnOther4xx(t *testing.T) {
	for _, code := range []int{400, 401, 403, 404, 410, 413, 422, 301, 302, 307} {
		t.Run(http.StatusText(code), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				rc := newReceiver(status(code))
				s, stop := start(t, memConfig(rc))
				s.Enqueue(msg(1))
				rc.next(t)
				time.Sleep(time.Hour) // fake time: any retry would have come by now
				if n := rc.count(); n != 1 {
					t.Errorf("receiver got %d requests, want 1", n)
				}
				if st := s.Stats(); st != (Stats{FailedAttempts: 1, DroppedRejected: 1}) {
					t.Errorf("Stats = %+v", st)
				}
				stop()
			})
		})
	}
}

func TestGivesUpAfterMaxAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(status(http.StatusInternalServerError))
		cfg := memConfig(rc)
		cfg.MaxAttempts = 3
		s, stop := start(t, cfg)
		s.Enqueue(msg(1))
		for want := 1; want <= 3; want++ {
			if r := rc.next(t); r.attempt != itoa(want) || r.id != "msg-1" {
				t.Fatalf("request %d: attempt %q, id %q", want, r.attempt, r.id)
			}
		}
		time.Sleep(time.Hour)
		if n := rc.count(); n != 3 {
			t.Errorf("receiver got %d requests, want 3", n)
		}
		if st := s.Stats(); st != (Stats{FailedAttempts: 3, Retries: 2, DroppedExhausted: 1}) {
			t.Errorf("Stats = %+v", st)
		}
		stop()
	})
}

// The default schedule: 6 attempts, about 1, 2, 4, 8 and 16 s apart.
func TestDefaultSchedule(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(status(http.StatusServiceUnavailable))
		cfg := memConfig(rc)
		cfg.Backoff = nil
		s, stop := start(t, cfg)
		s.Enqueue(msg(1))
		prev := rc.next(t)
		for i := 1; i < DefaultMaxAttempts; i++ {
			r := rc.next(t)
			nominal := time.Second << (i - 1)
			if gap := r.at.Sub(prev.at); gap < nominal*3/4 || gap > nominal {
				t.Errorf("wait after attempt %d = %v, want about %v", i, gap, nominal)
			}
			prev = r
		}
		time.Sleep(time.Hour)
		stop()
		if st := s.Stats(); st != (Stats{FailedAttempts: DefaultMaxAttempts, Retries: DefaultMaxAttempts - 1, DroppedExhausted: 1}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

// An attempt that outlasts Timeout is cancelled and retried.
func TestTimeoutRetried(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 1 {
				<-r.Context().Done()
			}
		})
		cfg := memConfig(rc)
		cfg.Timeout = 3 * time.Second
		s, stop := start(t, cfg)
		s.Enqueue(msg(1))
		first, second := rc.next(t), rc.next(t)
		if gap := second.at.Sub(first.at); gap != 3*time.Second+time.Millisecond {
			t.Errorf("retried after %v, want the 3s timeout plus the 1ms backoff", gap)
		}
		stop()
		if st := s.Stats(); st != (Stats{Delivered: 1, FailedAttempts: 1, Retries: 1}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

// A retry waiting out its backoff holds no worker: with one worker, other
// payloads go through meanwhile.
func TestRetryDoesNotBlockOthers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(func(n int, w http.ResponseWriter, r *http.Request) {
			if r.Header.Get(HeaderID) == "msg-1" && r.Header.Get(HeaderAttempt) == "1" {
				w.WriteHeader(http.StatusInternalServerError)
			}
		})
		cfg := memConfig(rc)
		cfg.Workers = 1
		cfg.Backoff = func(int) time.Duration { return time.Minute }
		s, stop := start(t, cfg)
		start := time.Now()
		for id := range int64(4) {
			s.Enqueue(msg(id + 1))
		}
		var order []string
		for range 5 {
			r := rc.next(t)
			order = append(order, r.id+"#"+r.attempt+"@"+r.at.Sub(start).String())
		}
		want := []string{"msg-1#1@0s", "msg-2#1@0s", "msg-3#1@0s", "msg-4#1@0s", "msg-1#2@1m0s"}
		if len(order) != len(want) {
			t.Fatalf("order = %v", order)
		}
		for i := range want {
			if order[i] != want[i] {
				t.Fatalf("order = %v, want %v", order, want)
			}
		}
		stop()
	})
}

func TestQueueFull(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(nil)
		logs := &logRecorder{}
		cfg := memConfig(rc)
		cfg.QueueLen = 2
		cfg.Logger = slog.New(logs)
		s, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		// Not running yet: nothing leaves the queue.
		for i, want := range []bool{true, true, false, false, false} {
			if got := s.Enqueue(msg(int64(i + 1))); got != want {
				t.Errorf("Enqueue #%d = %v, want %v", i+1, got, want)
			}
		}
		if st := s.Stats(); st != (Stats{DroppedFull: 3, Pending: 2}) {
			t.Errorf("Stats = %+v", st)
		}
		if n := logs.count(slog.LevelWarn); n != 1 {
			t.Errorf("%d warnings for one burst of drops, want 1:\n%s", n, logs.text())
		}

		errc := make(chan error, 1)
		go func() { errc <- s.Run(context.Background()) }()
		if a, b := rc.next(t), rc.next(t); a.id != "msg-1" && b.id != "msg-1" || a.id != "msg-2" && b.id != "msg-2" {
			t.Errorf("delivered %s and %s, want msg-1 and msg-2", a.id, b.id)
		}
		synctest.Wait() // the workers are idle: the queue has room again
		if !s.Enqueue(msg(6)) {
			t.Error("Enqueue after the queue drained = false")
		}
		if n := logs.count(slog.LevelInfo); n != 1 {
			t.Errorf("%d info lines at the end of the burst, want 1:\n%s", n, logs.text())
		}
		rc.next(t)
		s.Close()
		if err := <-errc; err != nil {
			t.Errorf("Run = %v", err)
		}
		if st := s.Stats(); st != (Stats{Delivered: 3, DroppedFull: 3}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

// Retries waiting count against QueueLen: memory stays bounded while the
// receiver is down.
func TestQueueLenCountsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(status(http.StatusBadGateway))
		cfg := memConfig(rc)
		cfg.QueueLen = 1
		cfg.Backoff = func(int) time.Duration { return time.Minute }
		s, stop := start(t, cfg)
		s.Enqueue(msg(1))
		rc.next(t)
		synctest.Wait() // msg-1 waits for its retry
		if s.Enqueue(msg(2)) {
			t.Error("Enqueue = true while a retry holds the only place")
		}
		stop()
		if st := s.Stats(); st != (Stats{FailedAttempts: 1, Retries: 1, DroppedFull: 1, DroppedClosed: 1}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestCloseDrainsQueue(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		gate := make(chan struct{})
		rc := newReceiver(func(int, http.ResponseWriter, *http.Request) { <-gate })
		s, stop := start(t, memConfig(rc))
		for id := range int64(5) {
			s.Enqueue(msg(id + 1))
		}
		rc.next(t)
		rc.next(t) // both workers are busy; three payloads wait in the queue
		began := time.Now()
		errc := make(chan error, 1)
		go func() { errc <- stop() }()
		synctest.Wait() // Close has begun
		if s.Enqueue(msg(6)) {
			t.Error("Enqueue after Close = true")
		}
		close(gate)
		if err := <-errc; err != nil {
			t.Errorf("Run = %v", err)
		}
		if took := time.Since(began); took != 0 {
			t.Errorf("Close took %v, want no wait once the queue is empty", took)
		}
		if n := rc.count(); n != 5 {
			t.Errorf("receiver got %d requests, want 5", n)
		}
		if st := s.Stats(); st != (Stats{Delivered: 5, DroppedClosed: 1}) {
			t.Errorf("Stats = %+v", st)
		}
		s.Close() // again: nothing happens
	})
}

// Close before Run drops what is queued; Run then refuses to start.
func TestCloseBeforeRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, err := New(memConfig(newReceiver(nil)))
		if err != nil {
			t.Fatal(err)
		}
		s.Enqueue(msg(1))
		s.Close()
		if err := s.Run(context.Background()); !errors.Is(err, ErrClosed) {
			t.Errorf("Run after Close = %v, want %v", err, ErrClosed)
		}
		if st := s.Stats(); st != (Stats{DroppedClosed: 1}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

// Close gives the drain DrainTimeout, then cancels what is in flight.
func TestCloseDrainTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		cfg := memConfig(rc)
		cfg.Timeout = time.Hour
		cfg.DrainTimeout = 3 * time.Second
		s, stop := start(t, cfg)
		for id := range int64(5) {
			s.Enqueue(msg(id + 1))
		}
		rc.next(t)
		rc.next(t) // both workers are stuck
		began := time.Now()
		if err := stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
		if took := time.Since(began); took != 3*time.Second {
			t.Errorf("Close took %v, want the 3s DrainTimeout", took)
		}
		// Aborted attempts are not the receiver's failures.
		if st := s.Stats(); st != (Stats{DroppedClosed: 5}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

// Close does not wait for retries: they are abandoned.
func TestCloseAbandonsRetries(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(status(http.StatusInternalServerError))
		cfg := memConfig(rc)
		cfg.Backoff = func(int) time.Duration { return time.Minute }
		s, stop := start(t, cfg)
		s.Enqueue(msg(1))
		rc.next(t)
		synctest.Wait()
		began := time.Now()
		stop()
		if took := time.Since(began); took != 0 {
			t.Errorf("Close took %v, want no wait", took)
		}
		time.Sleep(time.Hour)
		if n := rc.count(); n != 1 {
			t.Errorf("receiver got %d requests, want 1", n)
		}
		if st := s.Stats(); st != (Stats{FailedAttempts: 1, Retries: 1, DroppedClosed: 1}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestCloseWithoutDrain(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		cfg := memConfig(rc)
		cfg.DrainTimeout = -1
		s, stop := start(t, cfg)
		s.Enqueue(msg(1))
		rc.next(t)
		began := time.Now()
		stop()
		if took := time.Since(began); took != 0 {
			t.Errorf("Close took %v, want no wait", took)
		}
		if st := s.Stats(); st != (Stats{DroppedClosed: 1}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestRunContextCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(func(_ int, _ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
		s, err := New(memConfig(rc))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- s.Run(ctx) }()
		s.Enqueue(msg(1))
		s.Enqueue(msg(2))
		s.Enqueue(msg(3))
		rc.next(t)
		rc.next(t)
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v, want %v", err, context.Canceled)
		}
		if s.Enqueue(msg(4)) {
			t.Error("Enqueue after Run ended = true")
		}
		s.Close()
		if st := s.Stats(); st != (Stats{DroppedClosed: 4}) {
			t.Errorf("Stats = %+v", st)
		}
	})
}

func TestRunTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, stop := start(t, memConfig(newReceiver(nil)))
		synctest.Wait()
		if err := s.Run(context.Background()); !errors.Is(err, ErrRunTwice) {
			t.Errorf("second Run = %v, want %v", err, ErrRunTwice)
		}
		if err := stop(); err != nil {
			t.Errorf("Run = %v", err)
		}
	})
}

func TestEventsFilter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(nil)
		cfg := memConfig(rc)
		cfg.Events = []string{TypeJoin}
		s, stop := start(t, cfg)
		if s.Wants(TypeMessage) || !s.Wants(TypeJoin) || s.Wants(TypeLeave) {
			t.Error("Wants does not follow Events")
		}
		if !s.Enqueue(msg(1)) || !s.Enqueue(LeavePayload("lobby", "ada", time.Now())) {
			t.Error("Enqueue of a type left out = false, want true (not a loss)")
		}
		s.Enqueue(JoinPayload("lobby", "ada", time.Now()))
		if r := rc.next(t); r.id[:5] != "join-" {
			t.Errorf("sent %s", r.id)
		}
		stop()
		if n := rc.count(); n != 1 {
			t.Errorf("receiver got %d requests, want 1", n)
		}
	})
}

func TestEnqueueFillsIn(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rc := newReceiver(nil)
		s, stop := start(t, memConfig(rc))
		if s.Enqueue(Payload{Type: "typing", Room: "lobby"}) {
			t.Error("Enqueue of an unknown type = true")
		}
		s.Enqueue(Payload{Type: TypeJoin, Room: "lobby", User: "ada"})
		r := rc.next(t)
		stop()
		want := `{"id":"` + r.id + `","type":"join","time":"2000-01-01T00:00:00Z","room":"lobby","user":"ada"}`
		if len(r.id) < 10 || string(r.body) != want {
			t.Errorf("body = %s, want %s", r.body, want)
		}
	})
}

func TestNilSender(t *testing.T) {
	var s *Sender
	if !s.Enqueue(msg(1)) || s.Wants(TypeMessage) || s.Stats() != (Stats{}) || s.Run(context.Background()) != nil {
		t.Error("a nil Sender is not a quiet no-op")
	}
	s.Close()
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		h    string
		want time.Duration
	}{
		{"", 0},
		{"12", 12 * time.Second},
		{" 12 ", 12 * time.Second},
		{"-5", 0},
		{"1.5", 0},
		{"99999999999999999999", 0},
		{"300", MaxRetryAfter},
		{"9223372036854775807", MaxRetryAfter},
		{"Thu, 01 Jan 2026 00:01:00 GMT", time.Minute},
		{"Thursday, 01-Jan-26 00:01:00 GMT", time.Minute},
		{"Wed, 31 Dec 2025 23:00:00 GMT", 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.h, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %v, want %v", tt.h, got, tt.want)
		}
	}
}
