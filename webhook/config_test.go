package webhook

import (
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	valid := func(f func(*Config)) Config {
		c := Config{URL: "https://app.example/hook", Secret: testSecret}
		f(&c)
		return c
	}
	tests := []struct {
		name string
		cfg  Config
		want string // substring of the error; "" for none
	}{
		{"minimal", valid(func(*Config) {}), ""},
		{"http", valid(func(c *Config) { c.URL = "http://10.0.0.1:8080/hook?token=x" }), ""},
		{"all events", valid(func(c *Config) { c.Events = []string{"message", "join", "leave"} }), ""},
		{"empty URL", valid(func(c *Config) { c.URL = "" }), "absolute http or https"},
		{"relative URL", valid(func(c *Config) { c.URL = "/hook" }), "absolute http or https"},
		{"no host", valid(func(c *Config) { c.URL = "https:///hook" }), "absolute http or https"},
		{"other scheme", valid(func(c *Config) { c.URL = "ftp://app.example/hook" }), "absolute http or https"},
		{"scheme only", valid(func(c *Config) { c.URL = "app.example/hook" }), "absolute http or https"},
		{"unparsable", valid(func(c *Config) { c.URL = "https://app.example/%zz" }), "is not a URL"},
		{"no secret", valid(func(c *Config) { c.Secret = nil }), "at least 16"},
		{"short secret", valid(func(c *Config) { c.Secret = []byte("fifteen-bytes!!") }), "15 bytes"},
		{"unknown event", valid(func(c *Config) { c.Events = []string{"message", "typing"} }), `"typing" is unknown: use message, join, leave, delete, edit, react or unreact`},
		{"event kinds are lower case", valid(func(c *Config) { c.Events = []string{"Join"} }), `"Join" is unknown`},
		{"negative timeout", valid(func(c *Config) { c.Timeout = -time.Second }), "timeout -1s is negative"},
		{"negative attempts", valid(func(c *Config) { c.MaxAttempts = -1 }), "max attempts -1"},
		{"negative queue", valid(func(c *Config) { c.QueueLen = -1 }), "queue length -1"},
		{"negative workers", valid(func(c *Config) { c.Workers = -1 }), "workers -1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.cfg)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("New: %v", err)
				}
				s.Close()
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("New error = %v, want one containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), string(testSecret)) {
				t.Errorf("error %q shows the secret", err)
			}
		})
	}
}

// A URL that fails to parse may carry a token; the error must not repeat it.
func TestNewErrorHidesURL(t *testing.T) {
	_, err := New(Config{URL: "https://app example/hook?token=hunter2", Secret: testSecret})
	if err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Fatalf("New error = %v, want one without the URL", err)
	}
}

func TestDefaults(t *testing.T) {
	s, err := New(Config{URL: "https://app.example/hook", Secret: testSecret})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	c := s.cfg
	if c.Timeout != 5*time.Second || c.MaxAttempts != 6 || c.QueueLen != 10000 || c.Workers != 2 ||
		c.DrainTimeout != 5*time.Second || c.Backoff == nil || c.Logger == nil {
		t.Errorf("defaults = %+v", c)
	}
	for _, typ := range []string{TypeMessage, TypeJoin, TypeLeave, TypeDelete} {
		if !s.Wants(typ) {
			t.Errorf("Wants(%q) = false with no Events, want true", typ)
		}
	}
	if s.Wants("notice") {
		t.Error(`Wants("notice") = true`)
	}
	if s.client.CheckRedirect == nil {
		t.Error("the default client follows redirects")
	}
}

// New copies the secret: the caller may clear its own copy.
func TestNewCopiesSecret(t *testing.T) {
	secret := []byte(string(testSecret))
	s, err := New(Config{URL: "https://app.example/hook", Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	clear(secret)
	if string(s.cfg.Secret) != string(testSecret) {
		t.Error("the sender's secret changed with the caller's slice")
	}
}

func TestDefaultBackoff(t *testing.T) {
	tests := []struct {
		attempt int
		nominal time.Duration
	}{
		{0, time.Second}, // not called with 0; treated as 1
		{1, time.Second},
		{2, 2 * time.Second},
		{3, 4 * time.Second},
		{4, 8 * time.Second},
		{5, 16 * time.Second},
		{6, 32 * time.Second},
		{7, time.Minute},
		{8, time.Minute},
		{100, time.Minute},
	}
	for _, tt := range tests {
		for range 200 {
			got := DefaultBackoff(tt.attempt)
			if got < tt.nominal*3/4 || got > tt.nominal {
				t.Fatalf("DefaultBackoff(%d) = %v, want within [%v, %v]", tt.attempt, got, tt.nominal*3/4, tt.nominal)
			}
		}
	}
}
