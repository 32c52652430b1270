package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/store/sqlite"
)

const backupUsage = "parley backup [--db PATH] FILE"

// pgDumpHint says how to back a PostgreSQL database up instead.
const pgDumpHint = "for PostgreSQL use pg_dump -Fc (and pg_restore to bring it back): see docs/OPERATIONS.md"

// backupCmd runs "parley backup FILE": a consistent copy of the live
// SQLite database, taken while the server keeps running.
func backupCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("backup", backupUsage, stderr)
	if err != nil {
		return err
	}
	file, err := sqliteFileArg(fs, args, db)
	if err != nil {
		return err
	}
	if err := sqlite.Backup(ctx, *db, file); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", *db, file)
	return nil
}

const restoreUsage = "parley restore [--db PATH] [--force] FILE"

// restoreCmd runs "parley restore FILE": the backup replaces the database
// (the server must be stopped).
func restoreCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("restore", restoreUsage, stderr)
	if err != nil {
		return err
	}
	force := fs.Bool("force", false, "replace an existing database (kept as PATH.before-restore); stop the server first")
	file, err := sqliteFileArg(fs, args, db)
	if err != nil {
		return err
	}
	if err := sqlite.Restore(ctx, file, *db, *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", *db, file)
	return nil
}

// sqliteFileArg parses the flags and the one FILE argument of backup and
// restore, which work on a SQLite database only.
func sqliteFileArg(fs *flag.FlagSet, args []string, db *string) (string, error) {
	pos, err := parseArgs(fs, args)
	if err != nil {
		return "", err
	}
	if err := wantArgs(fs, pos, "FILE"); err != nil {
		return "", err
	}
	if server.IsPostgres(*db) {
		return "", fmt.Errorf("%s: %s", fs.Name(), pgDumpHint)
	}
	return pos[0], nil
}
