package main

import (
	"context"
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
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, "FILE"); err != nil {
		return err
	}
	if server.IsPostgres(*db) {
		return fmt.Errorf("backup: %s", pgDumpHint)
	}
	if err := sqlite.Backup(ctx, *db, pos[0]); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s\n", *db, pos[0])
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
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, "FILE"); err != nil {
		return err
	}
	if server.IsPostgres(*db) {
		return fmt.Errorf("restore: %s", pgDumpHint)
	}
	if err := sqlite.Restore(ctx, pos[0], *db, *force); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", *db, pos[0])
	return nil
}
