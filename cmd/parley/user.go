package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/chat"
	"github.com/parley-chat/parley/server"
)

const userUsage = `Usage:
  parley user add NAME [--admin] [--db PATH]   create an account
  parley user passwd NAME [--db PATH]          set an account's password
  parley user list [--db PATH]                 list the accounts
  parley user disable NAME [--db PATH]         stop an account: no logins; its
                                               connections end within --revalidate
  parley user enable NAME [--db PATH]          let a disabled account log in again

The password is read from standard input, one line, when it is not a
terminal (parley user add ada < password.txt); otherwise it is asked for
twice, without echo. The database is --db, else PARLEY_DB, else
./parley.db.
`

// userCmd runs "parley user ...". stdin supplies new passwords.
func userCmd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, userUsage)
		return errors.New("user: no subcommand given: add, passwd, list, disable or enable")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "add":
		return userAdd(ctx, rest, stdin, stdout, stderr)
	case "passwd":
		return userPasswd(ctx, rest, stdin, stdout, stderr)
	case "list":
		return userList(ctx, rest, stdout, stderr)
	case "disable", "enable":
		return userDisable(ctx, sub == "disable", rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, userUsage)
		return nil
	default:
		fmt.Fprint(stderr, userUsage)
		return fmt.Errorf("user: unknown subcommand %q: use add, passwd, list, disable or enable", sub)
	}
}

func userAdd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("user add", "parley user add NAME [--admin] [--db PATH]", stderr)
	if err != nil {
		return err
	}
	admin := fs.Bool("admin", false, "make the account a server administrator")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, "NAME"); err != nil {
		return err
	}
	name := pos[0]
	if err := chat.ValidateName(name); err != nil {
		return fmt.Errorf("user add: %w", err)
	}

	s, err := openStore(ctx, *db, false)
	if err != nil {
		return err
	}
	defer s.Close()
	// Checked before asking for the password, so nobody types one twice
	// for nothing; CreateUser checks again.
	if _, _, err := s.UserByName(ctx, name); err == nil {
		return fmt.Errorf("user add: user %q already exists in %s (names ignore case): choose another name, or use parley user passwd", name, *db)
	} else if parley.ErrorCode(err) != parley.ENotFound {
		return err
	}
	hash, err := readNewPasswordHash(stdin, stderr, name)
	if err != nil {
		return fmt.Errorf("user add: %w", err)
	}
	u := parley.User{Name: name, Admin: *admin, Created: time.Now().UTC()}
	if err := s.CreateUser(ctx, u, hash); err != nil {
		if parley.ErrorCode(err) == parley.EConflict {
			return fmt.Errorf("user add: user %q already exists in %s (names ignore case)", name, *db)
		}
		return fmt.Errorf("user add: %w", err)
	}
	kind := "user"
	if u.Admin {
		kind = "administrator"
	}
	fmt.Fprintf(stdout, "Created %s %q in %s.\n", kind, name, *db)
	return s.Close()
}

func userPasswd(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	s, u, db, err := openAccount(ctx, "passwd", args, stderr, "create it with parley user add")
	if err != nil {
		return err
	}
	defer s.Close()
	hash, err := readNewPasswordHash(stdin, stderr, u.Name)
	if err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	if err := s.SetPassword(ctx, u.Name, hash); err != nil {
		return fmt.Errorf("user passwd: %w", err)
	}
	// A new password is often set because the old one leaked: whoever
	// logged in with it is logged out.
	n, err := s.DeleteUserLoginSessions(ctx, u.Name)
	if err != nil {
		return fmt.Errorf("user passwd: password changed, but ending the login sessions failed: %w", err)
	}
	fmt.Fprintf(stdout, "Changed the password of %q in %s; ended %d login session(s).\n", u.Name, db, n)
	return s.Close()
}

func userList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("user list", "parley user list [--db PATH]", stderr)
	if err != nil {
		return err
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos); err != nil {
		return err
	}
	s, err := openStore(ctx, *db, true)
	if err != nil {
		return err
	}
	defer s.Close()
	users, err := s.Users(ctx)
	if err != nil {
		return err
	}
	if len(users) == 0 {
		fmt.Fprintf(stderr, "No users in %s: add one with parley user add NAME.\n", *db)
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tADMIN\tCREATED")
	for _, u := range users {
		admin := "no"
		if u.Admin {
			admin = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", u.Name, admin, u.Created.Format(time.RFC3339))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	return s.Close()
}

// readNewPasswordHash reads a new password for user, checks it against
// the password rules and returns its hash. From a terminal it prompts on
// prompt twice, without echo; from anything else it reads one line.
func readNewPasswordHash(stdin io.Reader, prompt io.Writer, user string) (string, error) {
	var (
		pw  string
		err error
	)
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		pw, err = promptPassword(int(f.Fd()), prompt, user)
	} else {
		pw, err = readPasswordLine(stdin)
	}
	if err != nil {
		return "", err
	}
	if err := auth.ValidatePassword(pw); err != nil {
		return "", err
	}
	return auth.HashPassword(pw)
}

// promptPassword asks for the password twice on the terminal fd.
func promptPassword(fd int, prompt io.Writer, user string) (string, error) {
	fmt.Fprintf(prompt, "New password for %s (at least %d characters): ", user, auth.MinPasswordLen)
	first, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	fmt.Fprint(prompt, "Repeat it: ")
	second, err := term.ReadPassword(fd)
	fmt.Fprintln(prompt)
	if err != nil {
		return "", fmt.Errorf("reading the password: %w", err)
	}
	if string(first) != string(second) {
		return "", errors.New("the two passwords differ: nothing was changed")
	}
	return string(first), nil
}

// readPasswordLine reads one line from r and strips its line end ("\n" or
// "\r\n"); nothing else is trimmed, spaces are part of the password.
func readPasswordLine(r io.Reader) (string, error) {
	// A byte over the longest password plus "\r\n" is enough to tell that
	// a line is too long, without reading a huge input.
	br := bufio.NewReader(io.LimitReader(r, auth.MaxPasswordLen+3))
	line, err := br.ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading the password from standard input: %w", err)
	}
	if !strings.HasSuffix(line, "\n") && len(line) > auth.MaxPasswordLen {
		return "", fmt.Errorf("the password on standard input is too long: at most %d bytes", auth.MaxPasswordLen)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", errors.New("no password on standard input: pipe it in as one line, or run the command in a terminal to be asked for it")
	}
	return line, nil
}

// userDisable disables (or enables) an account. Disabling also ends its
// login sessions; running servers end its open connections, on every
// transport, at their next revalidation (--revalidate).
func userDisable(ctx context.Context, disable bool, args []string, stdout, stderr io.Writer) error {
	verb := map[bool]string{true: "disable", false: "enable"}[disable]
	s, u, db, err := openAccount(ctx, verb, args, stderr, "list them with parley user list")
	if err != nil {
		return err
	}
	defer s.Close()
	if err := s.SetDisabled(ctx, u.Name, disable); err != nil {
		return fmt.Errorf("user %s: %w", verb, err)
	}
	if !disable {
		fmt.Fprintf(stdout, "Enabled %q in %s: it may log in again.\n", u.Name, db)
		return s.Close()
	}
	n, err := s.DeleteUserLoginSessions(ctx, u.Name)
	if err != nil {
		return fmt.Errorf("user disable: disabled, but ending the login sessions failed: %w", err)
	}
	fmt.Fprintf(stdout, "Disabled %q in %s; ended %d login session(s). Running servers close its connections within their --revalidate interval.\n", u.Name, db, n)
	return s.Close()
}

// openAccount parses "parley user SUB NAME [--db PATH]", opens the
// database, which must exist, and finds the account NAME; missing says
// what to do when there is no such account.
func openAccount(ctx context.Context, sub string, args []string, stderr io.Writer, missing string) (server.NodeStore, parley.User, string, error) {
	fs, db, err := dbFlagSet("user "+sub, "parley user "+sub+" NAME [--db PATH]", stderr)
	if err != nil {
		return nil, parley.User{}, "", err
	}
	pos, err := parseArgs(fs, args)
	if err != nil {
		return nil, parley.User{}, "", err
	}
	if err := wantArgs(fs, pos, "NAME"); err != nil {
		return nil, parley.User{}, "", err
	}
	s, err := openStore(ctx, *db, true)
	if err != nil {
		return nil, parley.User{}, "", err
	}
	u, _, err := s.UserByName(ctx, pos[0])
	if parley.ErrorCode(err) == parley.ENotFound {
		err = fmt.Errorf("user %s: no user %q in %s: %s", sub, pos[0], *db, missing)
	}
	if err != nil {
		s.Close()
		return nil, parley.User{}, "", err
	}
	return s, u, *db, nil
}
