// Package realip finds the client's address behind trusted reverse
// proxies, so that rate limits and login throttling apply per client and
// not per load balancer.
//
// Only a request that arrives from a trusted proxy has its
// X-Forwarded-For read, and only as far back as the proxies are trusted:
// the address taken is the rightmost one that is not a trusted proxy, which
// a client cannot forge (it can only prepend entries to the left).
package realip

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// ParsePrefixes parses a comma-separated list of CIDR prefixes or single
// addresses ("10.0.0.0/8, 127.0.0.1").
func ParsePrefixes(list string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %q is neither an address nor a CIDR prefix (like 10.0.0.0/8)", f)
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// Handler sets r.RemoteAddr to the client's address when the request came
// through trusted proxies; other requests pass unchanged. With no trusted
// proxies it returns next itself.
func Handler(trusted []netip.Prefix, next http.Handler) http.Handler {
	if len(trusted) == 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, ok := clientAddr(trusted, r)
		https := fromTrusted(trusted, r) && forwardedHTTPS(r)
		if ok || https {
			ctx := r.Context()
			if https {
				ctx = context.WithValue(ctx, httpsKey{}, true)
			}
			r2 := r.Clone(ctx)
			if ok {
				r2.RemoteAddr = net.JoinHostPort(addr.String(), "0")
			}
			r = r2
		}
		next.ServeHTTP(w, r)
	})
}

type httpsKey struct{}

// HTTPS reports whether the client reached Parley over HTTPS: directly
// (TLS here), or through a trusted proxy that terminated TLS and said so
// with X-Forwarded-Proto: https. A client cannot claim it: the header is
// read only from trusted proxies.
func HTTPS(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	v, _ := r.Context().Value(httpsKey{}).(bool)
	return v
}

func fromTrusted(trusted []netip.Prefix, r *http.Request) bool {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	return err == nil && isTrusted(trusted, peer.Addr().Unmap())
}

// forwardedHTTPS reads the protocol the nearest proxy received: the last
// X-Forwarded-Proto entry.
func forwardedHTTPS(r *http.Request) bool {
	vals := r.Header.Values("X-Forwarded-Proto")
	if len(vals) == 0 {
		return false
	}
	parts := strings.Split(vals[len(vals)-1], ",")
	return strings.EqualFold(strings.TrimSpace(parts[len(parts)-1]), "https")
}

func clientAddr(trusted []netip.Prefix, r *http.Request) (netip.Addr, bool) {
	peer, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil || !isTrusted(trusted, peer.Addr().Unmap()) {
		return netip.Addr{}, false
	}
	var hops []string
	for _, h := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(h, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return netip.Addr{}, false // a garbled chain: keep the proxy's address
		}
		a = a.Unmap()
		if !isTrusted(trusted, a) {
			return a, true
		}
	}
	return netip.Addr{}, false
}

func isTrusted(trusted []netip.Prefix, a netip.Addr) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
