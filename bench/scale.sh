#!/bin/sh
# 100,000 subscribers on one machine (issue 12 item 3): NODES parley nodes
# (6) on one PostgreSQL and one NATS, each with its own port and an
# open-file limit of 20,000, and one `parley bench -rooms` that spreads
# SUBS subscribers (60% SSE, 30% WebSocket, 10% long-poll) over ROOMS rooms
# of Zipf-distributed sizes and PROCS child processes dialling from their
# own loopback addresses, posts RATE/s to random rooms for DURATION, checks
# that every subscriber gets exactly its room's posts in order, and prints
# the per-node report. Takes /tmp/parley-bench.lock for the whole run and
# stops only what it started.
#
#   bench/scale.sh                # the full run: 100,000 subscribers
#   SUBS=10000 bench/scale.sh     # a dry run at a tenth of the scale
#
# Environment: PARLEY (binary, default /tmp/parley), PGURL (server, default
# postgres://postgres@127.0.0.1:5432), NATS (nats://127.0.0.1:4222), SUBS
# (100000), ROOMS (SUBS/100), ROOM_MIN (10), ROOM_MAX (10000), MIX
# (sse=60,ws=30,poll=10), RATE (200), DURATION (60s), POSTERS (64), NODES
# (6), PROCS (6), SOURCES (127.0.0.2-127.0.0.7; use another range for a run
# right after one: the last run's ports linger in TIME_WAIT), NOFILE
# (20000), PORT base (19300: nodes on PORT+1.., metrics on PORT+51..),
# DEBUG (1: each node serves /debug/pprof/ on PORT+71..), ROUTING
# (interest), IDLE (10s), TIMEOUT (60s), CONNECT_TIMEOUT (60s),
# CONCURRENCY (handshakes in flight per process, 100), JSON (1: a JSON
# report), OUT (a directory for the logs and the report; default a new
# temporary one).
set -eu
if [ -z "${SCALE_LOCKED:-}" ]; then
  SCALE_LOCKED=1 exec flock /tmp/parley-bench.lock "$0" "$@"
fi
PARLEY=${PARLEY:-/tmp/parley}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
NATS=${NATS:-nats://127.0.0.1:4222}
SUBS=${SUBS:-100000}
ROOMS=${ROOMS:-$((SUBS / 100))}
MIX=${MIX:-sse=60,ws=30,poll=10}
RATE=${RATE:-200}
DURATION=${DURATION:-60s}
POSTERS=${POSTERS:-64}
NODES=${NODES:-6}
PROCS=${PROCS:-6}
SOURCES=${SOURCES:-127.0.0.2-127.0.0.7}
NOFILE=${NOFILE:-20000}
PORT=${PORT:-19300}
ROUTING=${ROUTING:-interest}
OUT=${OUT:-$(mktemp -d)}
DBNAME=scale_bench
mkdir -p "$OUT"

psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" >/dev/null
PIDS=""
cleanup() {
  for p in $PIDS; do kill "$p" 2>/dev/null || true; done
  for p in $PIDS; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
URLS="" ; i=1
while [ "$i" -le "$NODES" ]; do
  # Each node in a subshell with its own open-file limit (the hard limit
  # of this machine), listening on 127.0.0.1 only.
  (ulimit -n "$NOFILE" && exec "$PARLEY" serve --addr 127.0.0.1:$((PORT + i)) \
    --metrics-addr 127.0.0.1:$((PORT + 50 + i)) --db "$PGURL/$DBNAME?sslmode=disable" \
    --broker "$NATS" --cluster "scale$$" --routing "$ROUTING" --node "scale$i" \
    --rate-limit 0 --room-burst 100000 --max-rooms-per-creator -1 --max-conns-per-client -1 \
    --log-level warn ${DEBUG:+--debug-addr 127.0.0.1:$((PORT + 70 + i))}) >"$OUT/node$i.log" 2>&1 &
  PIDS="$PIDS $!"
  URLS="$URLS${URLS:+,}http://127.0.0.1:$((PORT + i))"
  i=$((i + 1))
done
i=1
while [ "$i" -le "$NODES" ]; do
  n=0
  until curl -fs "http://127.0.0.1:$((PORT + i))/healthz" >/dev/null; do
    n=$((n + 1)); [ "$n" -lt 300 ] || { echo "node $i did not start: see $OUT/node$i.log" >&2; exit 1; }
    sleep 0.1
  done
  i=$((i + 1))
done
echo "nodes:$PIDS ($URLS); logs in $OUT" >&2
set --
if [ "${JSON:-0}" = 1 ]; then set -- -json; fi
status=0
"$PARLEY" bench -url "$URLS" -pid "$(echo $PIDS | tr ' ' ,)" -watch "postgres,postgres:$DBNAME,nats-server" \
  -subs "$SUBS" -rooms "$ROOMS" -room-min "${ROOM_MIN:-10}" -room-max "${ROOM_MAX:-10000}" -mix "$MIX" \
  -rate "$RATE" -duration "$DURATION" -posters "$POSTERS" -procs "$PROCS" -source-addrs "$SOURCES" \
  -idle "${IDLE:-10s}" -timeout "${TIMEOUT:-60s}" -connect-timeout "${CONNECT_TIMEOUT:-60s}" \
  -connect-concurrency "${CONCURRENCY:-100}" "$@" >"$OUT/report" || status=$?
cat "$OUT/report"
i=1
while [ "$i" -le "$NODES" ]; do
  grep -iE 'panic|fatal|too many open files' "$OUT/node$i.log" | head -3 | sed "s/^/node $i: /" >&2 || true
  i=$((i + 1))
done
exit $status
