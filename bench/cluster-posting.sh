#!/bin/sh
# Posting throughput of a cluster into one PostgreSQL (issue 12 item 5):
# N nodes, each posting as fast as it can (POSTERS keep-alive posters per
# node, one `parley bench` per node, all at once). Prints each node's and
# the total acknowledged posts/s, and the mean commit batch size.
#
#   bench/cluster-posting.sh N
#
# Environment: PARLEY (binary, default /tmp/parley), PGURL (default
# postgres://postgres@127.0.0.1:5432), NATS (default nats://127.0.0.1:4222),
# POSTERS per node (16), MESSAGES per node (12000), PORT base (8290).
set -eu
N=${1:?usage: bench/cluster-posting.sh NODES}
PARLEY=${PARLEY:-/tmp/parley}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
NATS=${NATS:-nats://127.0.0.1:4222}
POSTERS=${POSTERS:-16}
MESSAGES=${MESSAGES:-12000}
PORT=${PORT:-8290}
DBNAME=parley_posting_bench
OUT=$(mktemp -d)

psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" >/dev/null
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
i=1; while [ "$i" -le "$N" ]; do
  "$PARLEY" serve --addr 127.0.0.1:$((PORT + i)) --metrics-addr 127.0.0.1:$((PORT + 100 + i)) \
    --db "$PGURL/$DBNAME?sslmode=disable" --broker "$NATS" --cluster "posting$$" \
    --node "n$i" --rate-limit 0 --log-level warn >"$OUT/node$i.log" 2>&1 &
  PIDS="$PIDS $!"; i=$((i + 1))
done
i=1; while [ "$i" -le "$N" ]; do
  until curl -fs "http://127.0.0.1:$((PORT + i))/healthz" >/dev/null; do sleep 0.1; done
  i=$((i + 1))
done
# The room exists before the posters start, so no two nodes race to make it.
"$PARLEY" bench -url "http://127.0.0.1:$((PORT + 1))" -subs 0 -messages 1 >/dev/null 2>&1
BENCHES=""
i=1; while [ "$i" -le "$N" ]; do
  "$PARLEY" bench -url "http://127.0.0.1:$((PORT + i))" -subs 0 -messages "$MESSAGES" -posters "$POSTERS" -json \
    >"$OUT/bench$i.json" 2>"$OUT/bench$i.log" &
  BENCHES="$BENCHES $!"; i=$((i + 1))
done
for b in $BENCHES; do wait "$b" || echo "bench $b failed: see $OUT" >&2; done
total=0; batches=0; msgs=0
i=1; while [ "$i" -le "$N" ]; do
  rate=$(jq -r '.posting.per_second' "$OUT/bench$i.json")
  p99=$(jq -r '.posting.latency_ms.p99' "$OUT/bench$i.json")
  m=$(curl -fs "http://127.0.0.1:$((PORT + 100 + i))/metrics")
  c=$(echo "$m" | awk '/^parley_commit_batch_messages_count/ {print $2}')
  s=$(echo "$m" | awk '/^parley_commit_batch_messages_sum/ {print $2}')
  echo "n$i posts/s=$(printf %.0f "$rate") post p99=${p99}ms commits=$c mean batch=$(echo "scale=1; $s / $c" | bc)"
  total=$(echo "$total + $rate" | bc); batches=$(echo "$batches + $c" | bc); msgs=$(echo "$msgs + $s" | bc)
  i=$((i + 1))
done
echo "nodes=$N posters/node=$POSTERS total posts/s=$(printf %.0f "$total") commits=$batches mean batch=$(echo "scale=1; $msgs / $batches" | bc)"
