package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"
)

// tokenEnv holds the bearer token of a running server's API (an API key
// or a login token). It is preferred over --token, which other users of
// the machine can read in the process list.
const tokenEnv = "PARLEY_TOKEN"

// remoteFlags are the flags of a command that works either on the local
// database (--db) or through a running server's API (--url, --token).
type remoteFlags struct {
	url, token string
}

func (r *remoteFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&r.url, "url", "", "a running server's address (http://host:port); the API checks access, unlike --db")
	fs.StringVar(&r.token, "token", "", "bearer token for --url (an API key or login token); better: set "+tokenEnv)
}

// check validates the flags once parsed and picks up the token from the
// environment. It refuses --db with --url, which would be ambiguous.
func (r *remoteFlags) check(fs *flag.FlagSet, stderr io.Writer) error {
	dbSet, tokenSet := false, false
	fs.Visit(func(f *flag.Flag) {
		dbSet = dbSet || f.Name == "db"
		tokenSet = tokenSet || f.Name == "token"
	})
	if r.url == "" {
		if tokenSet {
			return errors.New("--token goes with --url: the local database (--db) needs none")
		}
		return nil
	}
	if dbSet {
		return errors.New("give --db (the local database) or --url (a running server), not both")
	}
	u, err := url.Parse(r.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return fmt.Errorf("--url %q is not a server address: use http://host:port or https://host", r.url)
	}
	r.url = strings.TrimRight(r.url, "/")
	if tokenSet {
		fmt.Fprintf(stderr, "note: a --token on the command line is visible to other users of this machine; prefer %s\n", tokenEnv)
	} else {
		r.token = os.Getenv(tokenEnv)
	}
	return nil
}

func (r *remoteFlags) remote() bool { return r.url != "" }

// get sends GET path?query to the server and returns the response of a
// 2xx status; other statuses become an error with the server's message.
// The token is sent only in the Authorization header and never appears
// in an error.
func (r *remoteFlags) get(ctx context.Context, path string, query url.Values) (*http.Response, error) {
	u := r.url + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	client := &http.Client{Timeout: 0} // transcripts may take long; ctx ends them
	client.Transport = &http.Transport{Proxy: http.ProxyFromEnvironment, ResponseHeaderTimeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner // *url.Error repeats the URL
		}
		return nil, fmt.Errorf("asking %s: %w", r.url, err)
	}
	if resp.StatusCode/100 == 2 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	return nil, answerError(resp.StatusCode, body, r.token == "")
}

// parseTimeFlag reads a --since or --until value: RFC 3339, or a date
// (YYYY-MM-DD, midnight UTC).
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	if t, err := time.Parse(time.DateOnly, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--%s %q is not a time: use RFC 3339 (2026-11-21T09:00:00Z) or a date (2026-11-21)", name, v)
}
