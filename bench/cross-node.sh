#!/bin/sh
# Cross-node delivery latency of the two routings (issue 12 item 2): three
# nodes, subscribers spread over them, posts to the first.
#
#   bench/cross-node.sh interest|all
#
# Environment: PARLEY (binary, default /tmp/parley), PGURL (default
# postgres://postgres@127.0.0.1:5432), NATS (default nats://127.0.0.1:4222),
# SUBS (300), MESSAGES (1000), RATE (100), PORT base (8390).
set -eu
ROUTING=${1:?usage: bench/cross-node.sh interest|all}
PARLEY=${PARLEY:-/tmp/parley}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
NATS=${NATS:-nats://127.0.0.1:4222}
SUBS=${SUBS:-300}
MESSAGES=${MESSAGES:-1000}
RATE=${RATE:-100}
PORT=${PORT:-8390}
DBNAME=parley_crossnode_bench
OUT=$(mktemp -d)

psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" >/dev/null 2>&1
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM
URLS=""
for i in 1 2 3; do
  "$PARLEY" serve --addr 127.0.0.1:$((PORT + i)) --db "$PGURL/$DBNAME?sslmode=disable" --broker "$NATS" \
    --cluster "crossnode$$" --routing "$ROUTING" --node "n$i" --rate-limit 0 --log-level warn >"$OUT/node$i.log" 2>&1 &
  PIDS="$PIDS $!"
  URLS="$URLS${URLS:+,}http://127.0.0.1:$((PORT + i))"
done
for i in 1 2 3; do
  until curl -fs "http://127.0.0.1:$((PORT + i))/healthz" >/dev/null; do sleep 0.1; done
done
"$PARLEY" bench -url "$URLS" -subs "$SUBS" -messages "$MESSAGES" -rate "$RATE" -posters 4 -json >"$OUT/bench.json" 2>"$OUT/bench.log"
jq -r --arg r "$ROUTING" '"routing=\($r) delivered=\(.delivery.delivered)/\(.delivery.expected) dup=\(.delivery.duplicates) ooo=\(.delivery.out_of_order) local p50/p99=\(.delivery.local_latency_ms.p50)/\(.delivery.local_latency_ms.p99)ms cross-node p50/p99=\(.delivery.cross_node_latency_ms.p50)/\(.delivery.cross_node_latency_ms.p99)ms"' "$OUT/bench.json"
