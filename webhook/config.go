package webhook

import (
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"time"
)

// Config configures a Sender. Zero fields take the defaults; URL and Secret
// are required.
type Config struct {
	// URL receives the POSTs: an absolute http or https URL.
	URL string
	// Secret signs every request; at least MinSecretLen bytes. Use a long
	// random string and give the receiver the same bytes.
	Secret []byte
	// Events selects the payload types to send: TypeMessage, TypeJoin,
	// TypeLeave, TypeDelete, TypeEdit, TypeReact, TypeUnreact. Empty means
	// the first four (receivers written before edits and reactions are
	// not sent payloads they do not know).
	Events []string

	// Timeout bounds one attempt: connecting, sending, and reading the
	// answer. Default 5s.
	Timeout time.Duration
	// MaxAttempts is the number of attempts per payload, the first one
	// included, before it is dropped. Default 6.
	MaxAttempts int
	// Backoff returns how long to wait after the attempt-th attempt failed
	// (attempt is 1 after the first failure) before the next one. A
	// Retry-After in the receiver's answer lengthens the wait, up to
	// MaxRetryAfter. Default DefaultBackoff.
	Backoff func(attempt int) time.Duration
	// QueueLen bounds the payloads the sender holds at once: queued, in
	// flight, or waiting to be retried. Default 10000.
	QueueLen int
	// Workers is the number of requests in flight at once. Default 2.
	Workers int
	// DrainTimeout is how long Close keeps delivering queued payloads
	// (one attempt each) before it abandons the rest. Default 5s; negative:
	// Close abandons them at once.
	DrainTimeout time.Duration

	// Client sends the requests. The default follows no redirects (a
	// redirected POST would lose its body or change method; a 3xx answer
	// is refused like a 4xx) and has no timeout of its own (Timeout
	// applies). A Client given here is used as it is.
	Client *http.Client
	// Logger receives delivery problems; nothing logged holds the secret.
	// Default: discard.
	Logger *slog.Logger
}

// Defaults for Config, and limits.
const (
	DefaultTimeout      = 5 * time.Second
	DefaultMaxAttempts  = 6
	DefaultQueueLen     = 10_000
	DefaultWorkers      = 2
	DefaultDrainTimeout = 5 * time.Second

	// MaxBackoff caps DefaultBackoff.
	MaxBackoff = time.Minute
	// MaxRetryAfter caps the wait a receiver can ask for with Retry-After,
	// so that one answer cannot park a payload, and its share of the
	// queue, for hours.
	MaxRetryAfter = 5 * time.Minute
	// MinSecretLen is the shortest Secret New accepts.
	MinSecretLen = 16
)

// DefaultBackoff waits about 1s after the first failed attempt, 2s after
// the second, 4s, 8s and so on, capped at MaxBackoff. Each wait is
// shortened by a random 0–25% so that payloads that failed together (the
// receiver restarted) do not all come back at the same instant.
func DefaultBackoff(attempt int) time.Duration {
	d := MaxBackoff
	if attempt <= 6 { // 2^6 s > MaxBackoff
		d = min(time.Second<<(max(attempt, 1)-1), MaxBackoff)
	}
	return d - rand.N(d/4+1)
}

// validate checks cfg and returns it with the defaults filled in.
func (cfg Config) validate() (Config, error) {
	u, err := url.Parse(cfg.URL)
	if err != nil {
		// url.Error repeats the URL, which may carry a token: keep only
		// the reason.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return cfg, fmt.Errorf("webhook URL is not a URL (%v): give an absolute http or https URL, like https://app.example/parley-hook", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return cfg, errors.New("webhook URL must be an absolute http or https URL, like https://app.example/parley-hook")
	}
	if len(cfg.Secret) < MinSecretLen {
		return cfg, fmt.Errorf("webhook secret is %d bytes long: use at least %d, such as a random string of 32 characters", len(cfg.Secret), MinSecretLen)
	}
	for _, e := range cfg.Events {
		if !validType(e) {
			return cfg, fmt.Errorf("webhook event kind %q is unknown: use %s", e, typeList())
		}
	}
	switch {
	case cfg.Timeout < 0:
		return cfg, fmt.Errorf("webhook timeout %v is negative: use a positive duration, or 0 for the default %v", cfg.Timeout, DefaultTimeout)
	case cfg.MaxAttempts < 0:
		return cfg, fmt.Errorf("webhook max attempts %d is negative: use 1 or more, or 0 for the default %d", cfg.MaxAttempts, DefaultMaxAttempts)
	case cfg.QueueLen < 0:
		return cfg, fmt.Errorf("webhook queue length %d is negative: use 1 or more, or 0 for the default %d", cfg.QueueLen, DefaultQueueLen)
	case cfg.Workers < 0:
		return cfg, fmt.Errorf("webhook workers %d is negative: use 1 or more, or 0 for the default %d", cfg.Workers, DefaultWorkers)
	}
	cfg.Secret = slices.Clone(cfg.Secret)
	cfg.Events = slices.Clone(cfg.Events)
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.MaxAttempts == 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Backoff == nil {
		cfg.Backoff = DefaultBackoff
	}
	if cfg.QueueLen == 0 {
		cfg.QueueLen = DefaultQueueLen
	}
	if cfg.Workers == 0 {
		cfg.Workers = DefaultWorkers
	}
	if cfg.DrainTimeout == 0 {
		cfg.DrainTimeout = DefaultDrainTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return cfg, nil
}

// typeList names the payload types for error messages: "message, join or
// leave".
func typeList() string {
	s := ""
	for i, t := range types {
		switch {
		case i == 0:
		case i == len(types)-1:
			s += " or "
		default:
			s += ", "
		}
		s += t
	}
	return s
}
