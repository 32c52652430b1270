package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"golang.org/x/term"
)

const adminUsage = `Usage: parley admin --url URL COMMAND [ARGS]

Administers a running server through its API, with the same checks as the
admin console (/admin): the token must be an admin's login token, in
PARLEY_TOKEN (get one with "parley admin --url URL login NAME").
Changes take effect at once on every node. Answers are printed as JSON.

  login NAME                     log in; prints a token for PARLEY_TOKEN
  stats                          connections, messages per second, rooms
  users [TEXT]                   accounts whose names contain TEXT
  grant NAME | revoke NAME       make NAME an admin, or not
  disable NAME | enable NAME     stop an account (its sessions end at once), or not
  password NAME                  reset NAME's password: one line on stdin,
                                 or --generate; their sessions end
  sessions NAME                  NAME's login sessions
  logout NAME [SESSION]          end NAME's sessions (or one)
  keys                           list API keys
  key-create [--label L]         create an API key (printed once)
  key-revoke ID                  revoke an API key
  room-create ROOM [--private]   create a room
  private ROOM | public ROOM     change who may read ROOM
  notices ROOM on|off            join/leave notices in ROOM
  retention ROOM --days N | --messages N | --off
  topic ROOM TEXT                set ROOM's topic
  room-delete ROOM               delete ROOM and its messages
  messages ROOM [--limit N]      the most recent messages of ROOM
  message-delete ID              delete a message
  kick ROOM USER                 remove USER from a private ROOM
  publish ROOM[,ROOM...] TEXT    send a notice to one or several rooms

Flags:
`

// adminCall is one request to the admin API.
type adminCall struct {
	method, path string
	body         any
}

// adminCmd runs "parley admin ...".
func adminCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("admin", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, adminUsage)
		fs.PrintDefaults()
	}
	var r remoteFlags
	r.define(fs)
	label := fs.String("label", "", "key-create: what the key is for")
	private := fs.Bool("private", false, "room-create: a private room")
	generate := fs.Bool("generate", false, "password: let the server choose one (printed once)")
	days := fs.Int("days", 0, "retention: keep messages this many days")
	messages := fs.Int("messages", 0, "retention: keep this many messages")
	off := fs.Bool("off", false, "retention: keep everything")
	limit := fs.Int("limit", 20, "messages: how many")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 && (pos[0] == "help" || pos[0] == "-h") {
		fs.SetOutput(stdout)
		fmt.Fprint(stdout, adminUsage)
		fs.PrintDefaults()
		return nil
	}
	if err := r.check(fs, stderr); err != nil {
		return err
	}
	if !r.remote() {
		fs.Usage()
		return errors.New("admin: give the server's address with --url (the admin commands work through its API)")
	}
	if len(pos) == 0 {
		fs.Usage()
		return errors.New("admin: no command given")
	}
	sub, rest := pos[0], pos[1:]
	need := func(names ...string) error {
		if len(rest) != len(names) {
			return fmt.Errorf("admin %s: want %s", sub, strings.Join(names, " "))
		}
		return nil
	}
	p := url.PathEscape
	var call adminCall
	switch sub {
	case "login":
		if err := need("NAME"); err != nil {
			return err
		}
		pw, err := readPassword(stdin, stderr, rest[0])
		if err != nil {
			return err
		}
		call = adminCall{"POST", "/api/session", map[string]string{"name": rest[0], "password": pw}}
	case "stats":
		call = adminCall{"GET", "/api/admin/stats", nil}
	case "users":
		q := ""
		if len(rest) > 0 {
			q = rest[0]
		}
		call = adminCall{"GET", "/api/admin/users?q=" + url.QueryEscape(q) + "&limit=1000", nil}
	case "grant", "revoke":
		if err := need("NAME"); err != nil {
			return err
		}
		call = adminCall{"PATCH", "/api/admin/users/" + p(rest[0]), map[string]bool{"admin": sub == "grant"}}
	case "disable", "enable":
		if err := need("NAME"); err != nil {
			return err
		}
		call = adminCall{"PATCH", "/api/admin/users/" + p(rest[0]), map[string]bool{"disabled": sub == "disable"}}
	case "password":
		if err := need("NAME"); err != nil {
			return err
		}
		body := map[string]string{}
		if !*generate {
			if body["password"], err = readPassword(stdin, stderr, rest[0]); err != nil {
				return err
			}
		}
		call = adminCall{"POST", "/api/admin/users/" + p(rest[0]) + "/password", body}
	case "sessions":
		if err := need("NAME"); err != nil {
			return err
		}
		call = adminCall{"GET", "/api/admin/users/" + p(rest[0]) + "/sessions", nil}
	case "logout":
		if len(rest) == 2 {
			call = adminCall{"DELETE", "/api/admin/users/" + p(rest[0]) + "/sessions/" + p(rest[1]), nil}
		} else if err := need("NAME"); err != nil {
			return err
		} else {
			call = adminCall{"DELETE", "/api/admin/users/" + p(rest[0]) + "/sessions", nil}
		}
	case "keys":
		call = adminCall{"GET", "/api/admin/apikeys", nil}
	case "key-create":
		call = adminCall{"POST", "/api/admin/apikeys", map[string]string{"label": *label}}
	case "key-revoke":
		if err := need("ID"); err != nil {
			return err
		}
		call = adminCall{"DELETE", "/api/admin/apikeys/" + p(rest[0]), nil}
	case "room-create":
		if err := need("ROOM"); err != nil {
			return err
		}
		body := map[string]string{"name": rest[0]}
		if *private {
			body["visibility"] = "private"
		}
		call = adminCall{"POST", "/api/rooms", body}
	case "private", "public":
		if err := need("ROOM"); err != nil {
			return err
		}
		call = adminCall{"PUT", "/api/rooms/" + p(rest[0]) + "/visibility", map[string]string{"visibility": sub}}
	case "notices":
		if err := need("ROOM", "on|off"); err != nil {
			return err
		}
		if rest[1] != "on" && rest[1] != "off" {
			return fmt.Errorf("admin notices: %q is not on or off", rest[1])
		}
		call = adminCall{"PUT", "/api/rooms/" + p(rest[0]) + "/notices", map[string]bool{"notices": rest[1] == "on"}}
	case "retention":
		if err := need("ROOM"); err != nil {
			return err
		}
		if !*off && *days == 0 && *messages == 0 {
			return errors.New("admin retention: give --days N, --messages N or --off")
		}
		call = adminCall{"PUT", "/api/rooms/" + p(rest[0]) + "/retention", map[string]int{"days": *days, "messages": *messages}}
	case "topic":
		if err := need("ROOM", "TEXT"); err != nil {
			return err
		}
		call = adminCall{"PUT", "/api/rooms/" + p(rest[0]) + "/topic", map[string]string{"topic": rest[1]}}
	case "room-delete":
		if err := need("ROOM"); err != nil {
			return err
		}
		call = adminCall{"DELETE", "/api/rooms/" + p(rest[0]), nil}
	case "messages":
		if err := need("ROOM"); err != nil {
			return err
		}
		call = adminCall{"GET", "/api/rooms/" + p(rest[0]) + "/messages?limit=" + strconv.Itoa(*limit), nil}
	case "message-delete":
		if err := need("ID"); err != nil {
			return err
		}
		call = adminCall{"DELETE", "/api/messages/" + p(rest[0]), nil}
	case "kick":
		if err := need("ROOM", "USER"); err != nil {
			return err
		}
		call = adminCall{"DELETE", "/api/rooms/" + p(rest[0]) + "/members/" + p(rest[1]), nil}
	case "publish":
		if err := need("ROOMS", "TEXT"); err != nil {
			return err
		}
		var items []map[string]any
		items = append(items, map[string]any{"rooms": strings.Split(rest[0], ","), "text": rest[1], "kind": "notice"})
		call = adminCall{"POST", "/api/publish", map[string]any{"messages": items}}
	default:
		fs.Usage()
		return fmt.Errorf("admin: unknown command %q", sub)
	}
	out, err := r.do(ctx, call.method, call.path, call.body)
	if err != nil {
		return fmt.Errorf("admin %s: %w", sub, err)
	}
	if len(out) == 0 {
		fmt.Fprintln(stdout, "ok")
		return nil
	}
	var pretty bytes.Buffer
	if json.Indent(&pretty, out, "", "  ") != nil {
		pretty.Reset()
		pretty.Write(out)
	}
	fmt.Fprintln(stdout, strings.TrimSpace(pretty.String()))
	return nil
}

// readPassword reads a password: asked for on a terminal, else one line
// of stdin.
func readPassword(stdin io.Reader, prompt io.Writer, user string) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(prompt, "Password for %s: ", user)
		pw, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		return string(pw), err
	}
	return readPasswordLine(stdin)
}

// do sends a request with an optional JSON body to the server and returns
// the body of a 2xx answer; other statuses become an error with the
// server's message. The token goes only in the Authorization header.
func (r *remoteFlags) do(ctx context.Context, method, path string, body any) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, r.url+path, rd)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if r.token != "" {
		req.Header.Set("Authorization", "Bearer "+r.token)
	}
	client := &http.Client{Timeout: time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		if inner := errors.Unwrap(err); inner != nil {
			err = inner
		}
		return nil, fmt.Errorf("asking %s: %w", r.url, err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode/100 == 2 {
		return out, nil
	}
	return nil, answerError(resp.StatusCode, out, r.token == "")
}

// answerError turns an error answer of the API into an error.
func answerError(status int, body []byte, noToken bool) error {
	var e struct {
		Error struct{ Code, Message string }
	}
	if json.Unmarshal(body, &e) == nil && e.Error.Message != "" {
		hint := ""
		if status == http.StatusUnauthorized && noToken {
			hint = " (set " + tokenEnv + " to an API key or login token; for parley admin, an admin's: parley admin --url URL login NAME)"
		}
		return fmt.Errorf("server answered %d: %s%s", status, e.Error.Message, hint)
	}
	return fmt.Errorf("server answered %d %s", status, http.StatusText(status))
}
