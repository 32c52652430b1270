package main

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/parley-chat/parley/auth"
	"github.com/parley-chat/parley/server"
	"github.com/parley-chat/parley/webhook"
)

// peopleFlags configure accounts, connection tokens and webhooks.
type peopleFlags struct {
	guests, registration      bool
	jwtAlg, jwtKey, jwtAud    string
	webhookURL, webhookEvents string
	webhookSecret             string // from PARLEY_WEBHOOK_SECRET only: secrets stay out of process listings
}

func (p *peopleFlags) register(fs *flag.FlagSet) {
	fs.BoolVar(&p.guests, "guests", true, "admit guests (a display name, no account) to read public rooms and post")
	fs.BoolVar(&p.registration, "registration", false, "let anyone register an account with POST /api/users")
	fs.StringVar(&p.jwtAlg, "jwt-alg", "", "accept application connection tokens signed with HS256, RS256 or EdDSA")
	fs.StringVar(&p.jwtKey, "jwt-key", "", "file holding the HS256 secret, or the RS256/EdDSA public key (PEM)")
	fs.StringVar(&p.jwtAud, "jwt-audience", "", "required audience (aud) of connection tokens")
	fs.StringVar(&p.webhookURL, "webhook-url", "", "POST signed join, leave and message notifications to this URL (secret in PARLEY_WEBHOOK_SECRET)")
	fs.StringVar(&p.webhookEvents, "webhook-events", "message,join,leave,delete", "which notifications to send: message, join, leave, delete, edit, react, unreact")
}

func (p *peopleFlags) apply(cfg *server.Config) error {
	cfg.NoGuests = !p.guests
	cfg.Registration = p.registration
	if (p.jwtAlg == "") != (p.jwtKey == "") {
		return errors.New("--jwt-alg and --jwt-key go together: give both to accept connection tokens")
	}
	if p.jwtAlg != "" {
		key, err := auth.LoadKeyFile(p.jwtKey)
		if err != nil {
			return err
		}
		if cfg.Tokens, err = auth.NewVerifier(auth.VerifierConfig{Algorithm: p.jwtAlg, Key: key, Audience: p.jwtAud}); err != nil {
			return fmt.Errorf("connection tokens: %w", err)
		}
	}
	if p.webhookURL != "" {
		secret := os.Getenv("PARLEY_WEBHOOK_SECRET")
		if secret == "" {
			return errors.New("--webhook-url needs a signing secret in the environment: PARLEY_WEBHOOK_SECRET (at least 16 bytes)")
		}
		var events []string
		for _, e := range strings.Split(p.webhookEvents, ",") {
			if e = strings.TrimSpace(e); e != "" {
				events = append(events, e)
			}
		}
		cfg.Webhook = &webhook.Config{URL: p.webhookURL, Secret: []byte(secret), Events: events, Timeout: 5 * time.Second}
	}
	return nil
}
