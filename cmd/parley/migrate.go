package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/parley-chat/parley/store/transfer"
)

const migrateUsage = `Usage: parley migrate --from DB --to DB [--replace]

Copies a whole Parley database to another store: a SQLite file to
PostgreSQL (postgres://...) when a site outgrows one machine, or back.
Rooms and their settings, messages with their IDs and times, accounts, API
keys, login sessions, private-room memberships and invitations, direct
conversations and retention rules are copied, and the target's search
index is built. The source is only read (stop the server first, or what it
commits after the copy starts stays behind). The target's schema is
created if missing; it is written in one transaction, so it ends complete
or unchanged. A target that holds data is refused unless --replace.

Keep a password out of the command line: PGPASSWORD or ~/.pgpass.

Flags:
`

// migrateCmd runs "parley migrate".
func migrateCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, migrateUsage)
		fs.PrintDefaults()
	}
	from := fs.String("from", "", "the database to copy: a SQLite file or a postgres:// URL")
	to := fs.String("to", "", "the database to copy into: a postgres:// URL or a SQLite file (created if missing)")
	replace := fs.Bool("replace", false, "delete what the target holds and copy over it")
	quiet := fs.Bool("quiet", false, "print only the summary")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		fs.Usage()
		return fmt.Errorf("migrate: unexpected arguments %q", pos)
	}
	if *from == "" || *to == "" {
		fs.Usage()
		return errors.New("migrate: give both --from and --to")
	}
	opt := transfer.Options{Replace: *replace}
	if !*quiet {
		opt.Progress = func(table string, rows int64) {
			if table == "messages" && rows%50000 == 0 {
				fmt.Fprintf(stderr, "migrate: %d messages copied\n", rows)
			}
		}
	}
	res, err := transfer.Copy(ctx, *from, *to, opt)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "copied %d messages, %d rooms, %d accounts, %d login sessions, %d API keys, %d memberships, %d invitations in %.2fs (%.0f messages/s)\n",
		res.Messages(), res.Rows["rooms"], res.Rows["users"], res.Rows["login_sessions"], res.Rows["api_keys"],
		res.Rows["room_members"], res.Rows["room_invites"], res.Took.Seconds(), float64(res.Messages())/res.Took.Seconds())
	return nil
}
