package transfer

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"github.com/parley-chat/parley/store/sqlite"
)

// sqliteDB is a SQLite database as a source or a target.
type sqliteDB struct {
	db *sql.DB
	tx *sql.Tx // the source's snapshot
}

func openSQLiteSource(ctx context.Context, path string) (source, error) {
	db, err := sqlite.OpenRaw(ctx, path, true)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1) // one connection: the snapshot's
	return &sqliteDB{db: db}, nil
}

func openSQLiteTarget(ctx context.Context, path string) (target, error) {
	db, err := sqlite.OpenRaw(ctx, path, false)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &sqliteDB{db: db}, nil
}

func (s *sqliteDB) close() {
	if s.tx != nil {
		_ = s.tx.Rollback()
	}
	_ = s.db.Close()
}

func (s *sqliteDB) snapshot(ctx context.Context) error {
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	s.tx = tx
	return nil
}

func (s *sqliteDB) read(ctx context.Context, t table, fn func([]any) error) error {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = quote(c.sqlite)
	}
	rows, err := s.tx.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+t.name+" ORDER BY "+t.orderBy)
	if err != nil {
		return err
	}
	defer rows.Close()
	scan := make([]any, len(t.cols))
	for i, c := range t.cols {
		switch c.typ {
		case tText:
			scan[i] = new(string)
		case tNullText:
			scan[i] = new(sql.NullString)
		case tInt, tBool, tTime:
			scan[i] = new(int64)
		case tNullTime:
			scan[i] = new(sql.NullInt64)
		case tBytes:
			scan[i] = new([]byte)
		}
	}
	for rows.Next() {
		if err := rows.Scan(scan...); err != nil {
			return err
		}
		row := make([]any, len(t.cols))
		for i, c := range t.cols {
			switch c.typ {
			case tText:
				row[i] = *scan[i].(*string)
			case tNullText:
				if ns := scan[i].(*sql.NullString); ns.Valid {
					row[i] = ns.String
				}
			case tInt:
				row[i] = *scan[i].(*int64)
			case tBool:
				row[i] = *scan[i].(*int64) != 0
			case tTime:
				row[i] = time.Unix(0, *scan[i].(*int64)).UTC()
			case tNullTime:
				if ns := scan[i].(*sql.NullInt64); ns.Valid {
					row[i] = time.Unix(0, ns.Int64).UTC()
				}
			case tBytes:
				row[i] = append([]byte(nil), *scan[i].(*[]byte)...)
			}
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (s *sqliteDB) count(ctx context.Context, t table) (int64, error) {
	var n int64
	err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM "+t.name).Scan(&n)
	return n, err
}

type sqliteWriter struct {
	tx *sql.Tx
}

func (s *sqliteDB) begin(ctx context.Context) (writer, error) {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	return &sqliteWriter{tx: tx}, nil
}

func (w *sqliteWriter) clear(ctx context.Context) error {
	for i := len(tables) - 1; i >= 0; i-- {
		if _, err := w.tx.ExecContext(ctx, "DELETE FROM "+tables[i].name); err != nil {
			return err
		}
	}
	return nil
}

func (w *sqliteWriter) write(ctx context.Context, t table, rows [][]any) error {
	names := make([]string, len(t.cols))
	marks := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i], marks[i] = quote(c.sqlite), "?"
	}
	stmt, err := w.tx.PrepareContext(ctx, fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s)", t.name, strings.Join(names, ", "), strings.Join(marks, ", ")))
	if err != nil {
		return err
	}
	defer stmt.Close()
	args := make([]any, len(t.cols))
	for _, row := range rows {
		for i := range t.cols {
			switch v := row[i].(type) {
			case bool:
				args[i] = 0
				if v {
					args[i] = 1
				}
			case time.Time:
				args[i] = v.UnixNano()
			default:
				args[i] = v
			}
		}
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return nil
}

// commit: AUTOINCREMENT has followed the explicit IDs inserted, so new
// messages continue after maxID by themselves.
func (w *sqliteWriter) commit(ctx context.Context, maxID int64) error {
	return w.tx.Commit()
}

func (w *sqliteWriter) rollback() { _ = w.tx.Rollback() }

// quote quotes a column name ("user" is a keyword).
func quote(name string) string { return `"` + name + `"` }
