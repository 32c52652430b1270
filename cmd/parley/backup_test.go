package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// "parley backup" copies the database of a running server while it takes
// posts, and "parley restore" puts a backup back once it is stopped.
func TestBackupAndRestoreCommands(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "parley.db")
	url, stop, errc := startServe(t, "--db", db, "--rate-limit", "0")
	ctx, cancel := context.WithCancel(t.Context())
	var posting sync.WaitGroup
	posting.Add(1)
	go func() {
		defer posting.Done()
		for i := 0; ctx.Err() == nil; i++ {
			postAs(t, url, "ada", "backup line "+strconv.Itoa(i))
		}
	}()
	var out, errOut bytes.Buffer
	backup := filepath.Join(dir, "backup.db")
	if err := run(t.Context(), []string{"backup", "--db", db, backup}, &out, &errOut); err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	cancel()
	posting.Wait()
	if err := run(t.Context(), []string{"backup", "--db", db, backup}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "exists already") {
		t.Errorf("backup onto an existing file: %v", err)
	}
	if err := run(t.Context(), []string{"backup", "--db", "postgres://localhost/parley", backup + "2"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "pg_dump") {
		t.Errorf("backup of PostgreSQL: %v, want it to point to pg_dump", err)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if err := run(t.Context(), []string{"restore", "--db", db, backup}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("restore over the database: %v, want a refusal naming --force", err)
	}
	if err := run(t.Context(), []string{"restore", "--db", db, "--force", backup}, &out, &errOut); err != nil {
		t.Fatalf("restore --force: %v", err)
	}
	url, stop, errc = startServe(t, "--db", db)
	defer func() {
		stop()
		<-errc
	}()
	postAs(t, url, "ada", "after the restore") // the restored database serves
}

// postAs posts a guest's line to the lobby, failing the test unless it is
// stored.
func postAs(t *testing.T, url, name, text string) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"text": text, "name": name})
	resp, err := http.Post(url+"/api/rooms/lobby/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Error(err)
		return
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Errorf("post %q: %s", text, resp.Status)
	}
}
