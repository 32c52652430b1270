package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/parley-chat/parley"
	"github.com/parley-chat/parley/api"
	"github.com/parley-chat/parley/auth"
)

const apikeyUsage = `Usage:
  parley apikey create [--label L] [--db PATH]   create an API key

The new key (pk_<id>_<secret>) is printed once, on standard output; only a
hash of its secret is stored, so it cannot be shown again. The database is
--db, else PARLEY_DB, else ./parley.db.
`

// apikeyCmd runs "parley apikey ...".
func apikeyCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, apikeyUsage)
		return errors.New("apikey: no subcommand given: create")
	}
	switch sub, rest := args[0], args[1:]; sub {
	case "create":
		return apikeyCreate(ctx, rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, apikeyUsage)
		return nil
	default:
		fmt.Fprint(stderr, apikeyUsage)
		return fmt.Errorf("apikey: unknown subcommand %q: use create", sub)
	}
}

func apikeyCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("apikey create", "parley apikey create [--label L] [--db PATH]", stderr)
	if err != nil {
		return err
	}
	label := fs.String("label", "", "what the key is for, shown in listings (at most 100 characters)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos); err != nil {
		return err
	}
	if err := api.ValidateLabel(*label); err != nil {
		return fmt.Errorf("apikey create: %w", err)
	}

	s, err := openStore(ctx, *db, false)
	if err != nil {
		return err
	}
	defer s.Close()
	id, secret, full, err := auth.NewAPIKey()
	if err != nil {
		return fmt.Errorf("apikey create: %w", err)
	}
	k := parley.APIKey{ID: id, SecretHash: auth.HashSecret(secret), Label: *label, Created: time.Now().UTC()}
	if err := s.CreateAPIKey(ctx, k); err != nil {
		return fmt.Errorf("apikey create: %w", err)
	}
	if err := s.Close(); err != nil {
		return err
	}
	// The key alone on stdout, so that KEY=$(parley apikey create) works;
	// the explanation goes to stderr.
	fmt.Fprintln(stdout, full)
	fmt.Fprintf(stderr, "Created API key %s in %s. It is shown only this once: store it now.\n", id, *db)
	return nil
}
