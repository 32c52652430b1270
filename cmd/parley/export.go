package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/parley-chat/parley/transcript"
)

const exportUsage = `parley export ROOM [--format txt|md|json|html] [--since T] [--until T] [-o FILE]
                     [--db PATH | --url URL]

Writes a room's transcript: every message, join, leave and notice with
its time (UTC) and sender, oldest first. Times are RFC 3339 or a date
(YYYY-MM-DD); since is inclusive, until exclusive. Without -o the
transcript goes to standard output; with -o it is written to a temporary
file that takes the name only once complete.

On the local database (--db, else PARLEY_DB, else ./parley.db) any room
can be exported, direct conversations included: it is the operator's tool
and checks no access. With --url it asks a running server, which exports
only what the token (PARLEY_TOKEN) may read.`

func exportCmd(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs, db, err := dbFlagSet("export", exportUsage, stderr)
	if err != nil {
		return err
	}
	var rf remoteFlags
	rf.define(fs)
	format := fs.String("format", "txt", "txt, md, json or html")
	since := fs.String("since", "", "first time to include (RFC 3339 or YYYY-MM-DD)")
	until := fs.String("until", "", "time to stop before (RFC 3339 or YYYY-MM-DD)")
	out := fs.String("o", "", "write to this file instead of standard output")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if err := wantArgs(fs, pos, "ROOM"); err != nil {
		return err
	}
	if err := rf.check(fs, stderr); err != nil {
		return err
	}
	opt := transcript.Options{Room: pos[0]}
	if opt.Format, err = transcript.ParseFormat(*format); err != nil {
		return err
	}
	if opt.Since, err = parseTimeFlag("since", *since); err != nil {
		return err
	}
	if opt.Until, err = parseTimeFlag("until", *until); err != nil {
		return err
	}
	if !opt.Since.IsZero() && !opt.Until.IsZero() && !opt.Since.Before(opt.Until) {
		return errors.New("--since must be before --until")
	}

	write := func(w io.Writer) error {
		if rf.remote() {
			return remoteExport(ctx, &rf, opt, w)
		}
		return localExport(ctx, *db, opt, w)
	}
	if *out == "" {
		return write(stdout)
	}
	return writeFileAtomic(*out, write)
}

func localExport(ctx context.Context, db string, opt transcript.Options, w io.Writer) error {
	s, err := openStore(ctx, db, true)
	if err != nil {
		return err
	}
	defer s.Close()
	if _, err := s.Room(ctx, opt.Room); err != nil {
		return err
	}
	opt.Generated = time.Now()
	_, err = transcript.Write(ctx, w, s, opt)
	return err
}

func remoteExport(ctx context.Context, rf *remoteFlags, opt transcript.Options, w io.Writer) error {
	v := url.Values{"format": {string(opt.Format)}}
	if !opt.Since.IsZero() {
		v.Set("since", opt.Since.Format(time.RFC3339Nano))
	}
	if !opt.Until.IsZero() {
		v.Set("until", opt.Until.Format(time.RFC3339Nano))
	}
	resp, err := rf.get(ctx, "/api/rooms/"+url.PathEscape(opt.Room)+"/transcript", v)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("downloading the transcript: %w (it is incomplete)", err)
	}
	return nil
}

// writeFileAtomic runs write into a temporary file next to path and
// renames it to path when write succeeds; on failure path is untouched.
// The file gets the permissions any new file gets (0666 less the umask),
// as with a shell's "> file", or keeps those of the file it replaces: who
// may read a transcript is the user's umask's and directory's business
// (set umask 077 for private ones).
func writeFileAtomic(path string, write func(io.Writer) error) error {
	f, err := createTemp(path)
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, nothing to remove
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		if err := f.Chmod(fi.Mode().Perm()); err != nil {
			f.Close()
			return err
		}
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// createTemp creates a new file next to path, with mode 0666 less the
// umask (os.CreateTemp would make it 0600).
func createTemp(path string) (*os.File, error) {
	for range 100 {
		name := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+"."+strconv.FormatUint(rand.Uint64(), 36)+".tmp")
		f, err := os.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o666)
		if !errors.Is(err, fs.ErrExist) {
			return f, err
		}
	}
	return nil, fmt.Errorf("creating a temporary file next to %s: too many name collisions", path)
}
