package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/parley-chat/parley/server"
)

// dbFlagSet returns a flag set for an administrative command on the
// database: --db, from PARLEY_DB when not given. Only --db is read from
// the environment: the caller defines its other flags afterwards, so that
// PARLEY_ADMIN in the environment, say, cannot turn every new account into
// an administrator.
func dbFlagSet(name, usage string, stderr io.Writer) (*flag.FlagSet, *string, error) {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	db := fs.String("db", server.DefaultDBPath, "SQLite database file or postgres:// URL (also PARLEY_DB)")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: %s\n\nFlags:\n", usage)
		fs.PrintDefaults()
	}
	if err := applyEnv(fs); err != nil {
		return nil, nil, err
	}
	return fs, db, nil
}

// parseArgs parses flags placed anywhere among the arguments ("user add
// ada --admin" as well as "user add --admin ada") and returns the
// positional arguments. After "--" everything is positional, so a name
// that starts with '-' can be given as "-- -name".
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if consumed := len(args) - len(rest); consumed > 0 && args[consumed-1] == "--" {
			return append(pos, rest...), nil
		}
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// wantArgs checks the number of positional arguments, naming what is
// expected.
func wantArgs(fs *flag.FlagSet, args []string, names ...string) error {
	if len(args) == len(names) {
		return nil
	}
	fs.Usage()
	if len(args) < len(names) {
		return fmt.Errorf("%s: missing %s", fs.Name(), names[len(args)])
	}
	return fmt.Errorf("%s: unexpected arguments %q", fs.Name(), args[len(names):])
}

// openStore opens the database at path (a SQLite file or a postgres://
// URL). With mustExist, a missing file is an error rather than a new empty
// database: a mistyped --db should not answer "no such user".
func openStore(ctx context.Context, path string, mustExist bool) (server.NodeStore, error) {
	if mustExist && !server.IsPostgres(path) {
		if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("database %s does not exist: give its path with --db or PARLEY_DB", path)
		} else if err != nil {
			return nil, err
		}
	}
	return server.OpenStore(ctx, path)
}
