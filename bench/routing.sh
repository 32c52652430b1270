#!/bin/sh
# Routing benchmark (issue 12 item 2): four nodes, each serving its own
# room (subscribers and posters of room rN on node N only), plus a fifth
# node that serves nothing, on one PostgreSQL and one NATS. Prints each
# node's CPU time over the run and the events it received over NATS.
#
#   bench/routing.sh interest|all
#
# Environment: PARLEY (binary, default /tmp/parley), PGURL (server, default
# postgres://postgres@127.0.0.1:5432), NATS (default nats://127.0.0.1:4222),
# SUBS per node (100), RATE posts/s per node (200; 0: as fast as possible),
# POSTERS per node (4), MESSAGES per node (6000), PORT base (8190: node i
# listens on PORT+i, its metrics on PORT+10+i, its pprof on PORT+20+i),
# DBNAME (parley_routing_bench), PROFILE (set: a CPU profile of n5),
# QUIET (set: n5 holds one subscriber of lobby, a room nobody posts to).
set -eu
ROUTING=${1:?usage: bench/routing.sh interest|all}
PARLEY=${PARLEY:-/tmp/parley}
PGURL=${PGURL:-postgres://postgres@127.0.0.1:5432}
NATS=${NATS:-nats://127.0.0.1:4222}
SUBS=${SUBS:-100}
RATE=${RATE:-200}
MESSAGES=${MESSAGES:-6000}
PORT=${PORT:-8190}
DBNAME=${DBNAME:-parley_routing_bench}
OUT=$(mktemp -d)
echo "output in $OUT" >&2
TICK=$(getconf CLK_TCK)

psql "$PGURL/postgres" -qc "DROP DATABASE IF EXISTS $DBNAME" -c "CREATE DATABASE $DBNAME" >/dev/null
PIDS=""
cleanup() { for p in $PIDS; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT INT TERM

for i in 1 2 3 4 5; do
  "$PARLEY" serve --addr 127.0.0.1:$((PORT + i)) --metrics-addr 127.0.0.1:$((PORT + 10 + i)) \
    --db "$PGURL/$DBNAME?sslmode=disable" --broker "$NATS" --cluster "routing$$" --routing "$ROUTING" --announce-every "${ANNOUNCE:-5ms}" \
    --node "n$i" --rate-limit 0 --log-level warn --debug-addr 127.0.0.1:$((PORT + 20 + i)) >"$OUT/node$i.log" 2>&1 &
  PIDS="$PIDS $!"
done
for i in 1 2 3 4 5; do
  until curl -fs "http://127.0.0.1:$((PORT + i))/healthz" >/dev/null; do sleep 0.1; done
done

if [ -n "${QUIET:-}" ]; then
  # n5 serves one quiet room: a subscriber, no posts. It then follows a
  # shard, as a node serving rooms of its own does.
  curl -fsN "http://127.0.0.1:$((PORT + 5))/api/events?rooms=lobby" >/dev/null 2>&1 &
  PIDS="$PIDS $!"
  sleep 1
fi

cpu() { awk -v t="$TICK" '{printf "%.2f", ($14 + $15) / t}' "/proc/$1/stat"; }
set -- $(echo $PIDS | cut -d' ' -f1-5)
# Idle baseline: what each node spends with no traffic at all (timers,
# presence announcements), over IDLE seconds.
IDLE=${IDLE:-10}
n=1; for p in "$@"; do eval "idle$n=$(cpu "$p")"; n=$((n + 1)); done
sleep "$IDLE"
n=1; for p in "$@"; do eval "idle$n=\$(echo \"\$(cpu $p) - \$idle$n\" | bc)"; n=$((n + 1)); done
n=1; for p in "$@"; do eval "before$n=$(cpu "$p")"; n=$((n + 1)); done
start=$(date +%s.%N)
BENCHES=""
for i in 1 2 3 4; do
  "$PARLEY" bench -url "http://127.0.0.1:$((PORT + i))" -room "r$i" -subs "$SUBS" \
    -messages "$MESSAGES" -rate "$RATE" -posters "${POSTERS:-4}" -json >"$OUT/bench$i.json" 2>"$OUT/bench$i.log" &
  BENCHES="$BENCHES $!"
done
if [ -n "${PROFILE:-}" ]; then
  # A CPU profile of n5 (serving nothing) while the others post.
  sleep 5
  curl -fs -o "$OUT/n5.pprof" "http://127.0.0.1:$((PORT + 25))/debug/pprof/profile?seconds=15" &&
    go tool pprof -top -nodecount 25 "$OUT/n5.pprof" 2>/dev/null | head -32
fi
for b in $BENCHES; do wait "$b" || echo "bench $b failed: see $OUT" >&2; done
secs=$(echo "$(date +%s.%N) - $start" | bc)
N5=nothing; [ -z "${QUIET:-}" ] || N5="one quiet room"
echo "routing=$ROUTING nodes=5 (n5 serves $N5) subs/node=$SUBS rate/node=$RATE msg/s messages/node=$MESSAGES wall=${secs}s"
n=1; for p in "$@"; do
  eval "b=\$before$n"
  used=$(echo "$(cpu "$p") - $b" | bc)
  recv=$(curl -fs "http://127.0.0.1:$((PORT + 10 + n))/metrics" | awk '/^parley_cluster_events_received_total/ {print $2}')
  shards=$(curl -fs "http://127.0.0.1:$((PORT + 10 + n))/metrics" | awk '/^parley_cluster_shards_followed/ {print $2}')
  msgs=$(curl -fs "http://127.0.0.1:$((PORT + 10 + n))/metrics" | awk '/^parley_cluster_nats_messages_received_total/ {print $2}')
  eval "i=\$idle$n"
  base=$(echo "scale=2; $i * $secs / $IDLE" | bc)
  line="n$n cpu=${used}s ($(echo "scale=1; 100 * $used / $secs" | bc)% of a core; idle baseline ${base}s, above it $(echo "$used - $base" | bc)s) received=$recv nats_msgs=$msgs shards=$shards"
  if [ "$n" -le 4 ]; then
    line="$line $(jq -r '"posted=\(.posting.acknowledged) delivered=\(.delivery.delivered)/\(.delivery.expected) dup=\(.delivery.duplicates) ooo=\(.delivery.out_of_order) p99=\(.delivery.latency_ms.p99)ms"' "$OUT/bench$n.json" 2>/dev/null || echo "(bench output in $OUT)")"
  fi
  echo "$line"
  n=$((n + 1))
done
