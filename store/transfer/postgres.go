package transfer

import (
	"context"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/parley-chat/parley/store/postgres"
)

// pgDB is a PostgreSQL database as a source or a target.
type pgDB struct {
	conn *pgx.Conn
	tx   pgx.Tx // the source's snapshot
}

func openPGSource(ctx context.Context, dsn string) (source, error) {
	conn, err := postgres.OpenRaw(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &pgDB{conn: conn}, nil
}

func openPGTarget(ctx context.Context, dsn string) (target, error) {
	conn, err := postgres.OpenRaw(ctx, dsn)
	if err != nil {
		return nil, err
	}
	return &pgDB{conn: conn}, nil
}

func (p *pgDB) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if p.tx != nil {
		_ = p.tx.Rollback(ctx)
	}
	_ = p.conn.Close(ctx)
}

// snapshot starts a read-only repeatable-read transaction: every table is
// read as of one moment, while the source's nodes keep writing.
func (p *pgDB) snapshot(ctx context.Context) error {
	tx, err := p.conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	p.tx = tx
	return nil
}

func (p *pgDB) read(ctx context.Context, t table, fn func([]any) error) error {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = pgx.Identifier{c.pg}.Sanitize()
	}
	rows, err := p.tx.Query(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+t.name+" ORDER BY "+t.orderBy)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		vals, err := rows.Values()
		if err != nil {
			return err
		}
		row := make([]any, len(t.cols))
		for i, c := range t.cols {
			v := vals[i]
			switch c.typ {
			case tInt:
				switch n := v.(type) {
				case int32:
					v = int64(n)
				case int16:
					v = int64(n)
				}
			case tTime:
				v = v.(time.Time).UTC()
			case tNullTime:
				if t, ok := v.(time.Time); ok {
					v = t.UTC()
				}
			}
			row[i] = v
		}
		if err := fn(row); err != nil {
			return err
		}
	}
	return rows.Err()
}

func (p *pgDB) count(ctx context.Context, t table) (int64, error) {
	var n int64
	err := p.conn.QueryRow(ctx, "SELECT count(*) FROM "+t.name).Scan(&n)
	return n, err
}

type pgWriter struct {
	tx pgx.Tx
}

func (p *pgDB) begin(ctx context.Context) (writer, error) {
	tx, err := p.conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return &pgWriter{tx: tx}, nil
}

func (w *pgWriter) clear(ctx context.Context) error {
	names := make([]string, len(tables))
	for i, t := range tables {
		names[i] = t.name
	}
	_, err := w.tx.Exec(ctx, "TRUNCATE "+strings.Join(names, ", "))
	return err
}

// write sends rows with COPY, the fastest way into PostgreSQL.
func (w *pgWriter) write(ctx context.Context, t table, rows [][]any) error {
	names := make([]string, len(t.cols))
	for i, c := range t.cols {
		names[i] = c.pg
	}
	_, err := w.tx.CopyFrom(ctx, pgx.Identifier{t.name}, names, pgx.CopyFromRows(rows))
	return err
}

// commit sets the message ID counter past the copied IDs, so that new
// messages continue after them, and commits.
func (w *pgWriter) commit(ctx context.Context, maxID int64) error {
	if _, err := w.tx.Exec(ctx, `UPDATE counters SET value = GREATEST(value, $1) WHERE name = 'message_id'`, maxID); err != nil {
		return err
	}
	return w.tx.Commit(ctx)
}

func (w *pgWriter) rollback() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = w.tx.Rollback(ctx)
}
