// Command parley is the Parley chat and server-push server.
//
//	parley serve   run the server (HTTP API, event streams, web page)
//	parley bench   load-test a running server
//	parley search  full-text search of the log
//	parley export  a room's transcript
//
// Run "parley COMMAND -h" for a command's flags.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/parley-chat/parley/bench"
	"github.com/parley-chat/parley/internal/buildinfo"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "parley:", err)
		os.Exit(1)
	}
}

const usage = `Parley: a self-hosted chat and server-push server.

Usage:
  parley serve [flags]   run the server (default: 127.0.0.1:8080, ./parley.db)
  parley bench [flags]   load-test a running server (-search: the search benchmark)
  parley search QUERY    search messages (local database or --url)
  parley export ROOM     export a room's transcript (local database or --url)
  parley user COMMAND    manage accounts: add, passwd, list
  parley apikey create   create an API key for an application
  parley admin COMMAND   administer a running server through its API (as /admin)
  parley backup FILE     copy the live SQLite database, consistently, while it runs
  parley restore FILE    put a backup in place of the database (server stopped)
  parley migrate         copy a database between SQLite and PostgreSQL
  parley version         print the version and VCS revision of this build

Run "parley COMMAND -h" for a command's flags.
`

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errors.New("no command given")
	}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, rest, stdout, stderr)
	case "bench":
		if isSearchBench(rest) {
			return benchSearch(ctx, rest, stdout, stderr)
		}
		return bench.Command(ctx, rest, stdout, stderr)
	case "search":
		return searchCmd(ctx, rest, stdout, stderr)
	case "export":
		return exportCmd(ctx, rest, stdout, stderr)
	case "user":
		return userCmd(ctx, rest, os.Stdin, stdout, stderr)
	case "apikey":
		return apikeyCmd(ctx, rest, stdout, stderr)
	case "admin":
		return adminCmd(ctx, rest, os.Stdin, stdout, stderr)
	case "backup":
		return backupCmd(ctx, rest, stdout, stderr)
	case "restore":
		return restoreCmd(ctx, rest, stdout, stderr)
	case "migrate":
		return migrateCmd(ctx, rest, stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, "parley", buildinfo.Read())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return fmt.Errorf("unknown command %q", cmd)
	}
}
