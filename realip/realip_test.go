package realip

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHandlerTakesTheRightmostUntrustedAddress(t *testing.T) {
	trusted, err := ParsePrefixes("10.0.0.0/8, 127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name, remote string
		xff          []string
		want         string
	}{
		{"direct client: header ignored", "203.0.113.9:5000", []string{"198.51.100.1"}, "203.0.113.9:5000"},
		{"one trusted proxy", "10.0.0.2:4000", []string{"198.51.100.1"}, "198.51.100.1:0"},
		{"forged entries on the left are skipped", "10.0.0.2:4000", []string{"1.2.3.4, 198.51.100.1"}, "198.51.100.1:0"},
		{"two trusted proxies", "127.0.0.1:4000", []string{"198.51.100.1, 10.1.1.1"}, "198.51.100.1:0"},
		{"several header lines", "10.0.0.2:4000", []string{"1.2.3.4", "198.51.100.7"}, "198.51.100.7:0"},
		{"IPv6 client", "10.0.0.2:4000", []string{"2001:db8::1"}, "[2001:db8::1]:0"},
		{"garbled chain keeps the proxy", "10.0.0.2:4000", []string{"198.51.100.1, nonsense"}, "10.0.0.2:4000"},
		{"no header keeps the proxy", "10.0.0.2:4000", nil, "10.0.0.2:4000"},
		{"only proxies in the chain", "10.0.0.2:4000", []string{"10.0.0.3"}, "10.0.0.2:4000"},
	}
	for _, c := range cases {
		var got string
		h := Handler(trusted, http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r.RemoteAddr }))
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		h.ServeHTTP(httptest.NewRecorder(), r)
		if got != c.want {
			t.Errorf("%s: RemoteAddr = %q, want %q", c.name, got, c.want)
		}
	}
}

func TestParsePrefixesRejectsNonsense(t *testing.T) {
	if _, err := ParsePrefixes("10.0.0.0/8,proxy.example"); err == nil {
		t.Error("a host name was accepted as a trusted proxy")
	}
	if p, err := ParsePrefixes(""); err != nil || len(p) != 0 {
		t.Errorf("empty list = %v, %v", p, err)
	}
}
