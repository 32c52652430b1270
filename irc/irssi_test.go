package irc_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/server"
)

// tmux drives a terminal program in a detached tmux session of its own
// (its own socket, so that nothing else's sessions are touched).
type tmux struct {
	t      *testing.T
	socket string
}

func (x *tmux) run(args ...string) string {
	x.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", x.socket}, args...)...).CombinedOutput()
	if err != nil {
		x.t.Fatalf("tmux %v: %v: %s", args, err, out)
	}
	return string(out)
}

// screen is the pane's text, with the scrollback.
func (x *tmux) screen() string { return x.run("capture-pane", "-p", "-J", "-S", "-200", "-t", "irc") }

// typeLine types a line and presses Enter.
func (x *tmux) typeLine(line string) {
	x.t.Helper()
	x.run("send-keys", "-t", "irc", "-l", line)
	x.run("send-keys", "-t", "irc", "Enter")
}

// waitFor polls the screen (a terminal has no other signal to wait on)
// until it shows all of want.
func (x *tmux) waitFor(what string, want ...string) {
	x.t.Helper()
	deadline := time.Now().Add(wait)
	for {
		s := x.screen()
		missing := ""
		for _, w := range want {
			if !strings.Contains(s, w) {
				missing = w
				break
			}
		}
		if missing == "" {
			return
		}
		if time.Now().After(deadline) {
			x.t.Fatalf("irssi: no %s within %v (missing %q); screen:\n%s", what, wait, missing, s)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// A real terminal client, irssi in tmux, as a person uses it: connect,
// join, talk with a web user both ways, list names, set the topic, part
// with a reason the web sees, and quit.
func TestIrssi(t *testing.T) {
	for _, bin := range []string{"irssi", "tmux"} {
		if _, err := exec.LookPath(bin); err != nil {
			t.Skipf("%s is not installed (apt-get install irssi tmux; .ci/run installs them): skipping the terminal client test", bin)
		}
	}
	g := startGateway(t, server.Config{}, server.IRCConfig{}, "ada", "bob")
	bob := g.login("bob")
	web := g.events("rooms=lobby", bob...)

	// irssi logs in as ada with SASL PLAIN (the password has spaces,
	// which irssi's -w would split).
	home := t.TempDir()
	host, port, _ := strings.Cut(g.addr, ":")
	config := fmt.Sprintf(`servers = ( { address = %q; port = %q; chatnet = "parley"; autoconnect = "yes"; use_tls = "no"; } );
chatnets = { parley = { type = "IRC"; sasl_mechanism = "PLAIN"; sasl_username = "ada"; sasl_password = %q; }; };
settings = { core = { real_name = "Ada Lovelace"; user_name = "ada"; nick = "ada"; }; };
`, host, port, password)
	if err := os.WriteFile(filepath.Join(home, "config"), []byte(config), 0o600); err != nil {
		t.Fatal(err)
	}
	x := &tmux{t: t, socket: filepath.Join(home, "tmux.sock")}
	x.run("new-session", "-d", "-s", "irc", "-x", "200", "-y", "50", "irssi", "--home="+home)
	t.Cleanup(func() { exec.Command("tmux", "-S", x.socket, "kill-server").Run() })

	x.waitFor("welcome", "Welcome to the Parley IRC gateway")
	x.typeLine("/join #lobby")
	x.waitFor("the join", "has joined #lobby")
	web.message("ada's join on the web", func(m parley.Message) bool { return m.Kind == parley.KindJoin && m.From == "ada" })

	x.typeLine("hello from irssi")
	web.message("ada's line on the web", func(m parley.Message) bool {
		return m.Kind == parley.KindMessage && m.From == "ada" && m.Text == "hello from irssi"
	})
	g.post("lobby", "", "hello from the browser", bob...)
	x.waitFor("bob's line", "bob> hello from the browser")

	x.typeLine("/names")
	x.waitFor("the names with the web user", "ada", "bob", "Total of 2 nicks")

	x.typeLine("/topic #lobby")
	x.waitFor("the empty topic", "No topic set for #lobby")

	x.typeLine("/part #lobby off to lunch")
	web.message("ada's leave with her reason", func(m parley.Message) bool {
		return m.Kind == parley.KindLeave && m.From == "ada" && m.Text == "ada has left: off to lunch"
	})

	x.typeLine("/quit bye")
	deadline := time.Now().Add(wait)
	for g.srv.IRCConns() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("irssi quit, but %d IRC connections are open", g.srv.IRCConns())
		}
		time.Sleep(50 * time.Millisecond)
	}
}
