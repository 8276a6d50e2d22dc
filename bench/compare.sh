#!/usr/bin/env bash
# bench/compare.sh: OrleansBroker beside its peers, one workload, one machine, one run.
#  1. builds the silo and obroker (Release);
#  2. starts one silo on free loopback ports with a fresh data directory;
#  3. runs obroker's benches on the peer harness's workload: produce RECORDS x SIZE B from PRODUCERS producers
#     (after the transport ceiling), consume them, e2e at RATE records/s for SECS s;
#  4. stops the silo and removes its data;
#  5. runs the peer harness ($PEERS_DIR/run-peers.sh, which starts each peer on its own fresh data directory);
#  6. writes a Markdown table to stdout and to bench/results/compare-<UTC time>.md, and OrleansBroker's runs as JSON
#     lines beside it (compare-<UTC time>.jsonl, for 'obroker bench chart'). Progress goes to stderr.
# Knobs (environment), with defaults:
#   RECORDS=1000000 SIZE=100 PRODUCERS=4 RATE=20000 SECS=10 WARMUP=50000  the workload, shared with run-peers.sh
#   PHASES=produce,consume,e2e                      which phases run (consume reads what produce wrote); also
#                                                   group, queue (CONSUMERS members read what produce wrote) and
#                                                   partitions (MANY partitions, MANY*5 keyed records produced and read
#                                                   back, then the silo's resident memory), OrleansBroker only
#   CONSUMERS=4 MANY=10000                          members of the group and queue phases; partitions of that phase
#   PARTITIONS=4                                    partitions of OrleansBroker's topics
#   E2E_LINGER=0                                    the e2e producer's linger in ms: the peers send each record at once
#   FLUSH_ON_COMMIT=true                            the silo's Broker:FlushOnCommit (acknowledge after fsync)
#   CEILING=1 CEILING_RECORDS=5000000               measure the transport ceiling before produce (CEILING=0: skip)
#   PEERS="redis-everysec redis-always nats-js rabbitmq-quorum rabbitmq-stream"   the peers to run
#   PEERS_DIR=<repo>/../shared/peers                where run-peers.sh lives
#   SKIP_PEERS=1                                    measure OrleansBroker only
#   SKIP_BUILD=1                                    use the existing Release build
set -euo pipefail
repo="$(cd "$(dirname "$0")/.." && pwd)"
export RECORDS="${RECORDS:-1000000}" SIZE="${SIZE:-100}" PRODUCERS="${PRODUCERS:-4}" RATE="${RATE:-20000}" SECS="${SECS:-10}"
export WARMUP="${WARMUP:-50000}" PHASES="${PHASES:-produce,consume,e2e}"
CONSUMERS="${CONSUMERS:-4}" MANY="${MANY:-10000}"
PARTITIONS="${PARTITIONS:-4}" E2E_LINGER="${E2E_LINGER:-0}" FLUSH_ON_COMMIT="${FLUSH_ON_COMMIT:-true}" CEILING="${CEILING:-1}" CEILING_RECORDS="${CEILING_RECORDS:-5000000}"
PEERS="${PEERS:-redis-everysec redis-always nats-js rabbitmq-quorum rabbitmq-stream}"
peers_dir="${PEERS_DIR:-$repo/../shared/peers}"
peers_dir="$(cd "$peers_dir" 2>/dev/null && pwd || echo "$peers_dir")"
stamp="$(date -u +%Y%m%dT%H%M%SZ)"
results="$repo/bench/results/compare-$stamp.md"
scratch="$(mktemp -d -t obroker-compare.XXXXXX)"
silo_pid=""
status=0

stop_silo() { # SIGTERM, up to 30 s for a clean stop, then SIGKILL
  [ -n "$silo_pid" ] || return 0
  kill -TERM "$silo_pid" 2>/dev/null || true
  for _ in $(seq 300); do kill -0 "$silo_pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$silo_pid" 2>/dev/null || true
  wait "$silo_pid" 2>/dev/null || true
  silo_pid=""
}
trap 'stop_silo; rm -rf "$scratch"' EXIT

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() { # a port nothing listens on, other than the ports given
  local port
  for _ in $(seq 200); do
    port=$((20000 + RANDOM % 12768)) # below the kernel's ephemeral ports (32768-60999), which outgoing connections take
    [[ " $* " != *" $port "* ]] && port_free "$port" && { echo "$port"; return 0; }
  done
  echo "compare.sh: found no free port" >&2; return 1
}
field() { # field LINE KEY: the value of KEY=value in a summary or PEER line
  sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<" $1"
}
rate() { # 1234567 -> 1.23M, 215000 -> 215k
  [ -n "$1" ] || { echo "-"; return; }
  awk -v v="$1" 'BEGIN { if (v >= 1e6) printf "%.2fM", v / 1e6; else if (v >= 1e3) printf "%.0fk", v / 1e3; else printf "%d", v }'
}
ms() { [ -n "$1" ] && awk -v v="$1" 'BEGIN { printf (v >= 100 ? "%.0f" : v >= 10 ? "%.1f" : "%.2f"), v }' || echo "-"; }
has_phase() { [[ ",$PHASES," == *",$1,"* ]]; }

if [ -z "${SKIP_BUILD:-}" ]; then
  echo "compare.sh: building the silo and obroker (Release)" >&2
  dotnet build "$repo/Silo" -c Release --nologo -v q >&2
  dotnet build "$repo/src/OrleansBroker.Cli" -c Release --nologo -v q >&2
fi
silo_dll="$repo/Silo/bin/Release/net10.0/OrleansBroker.Silo.dll"
cli_dll="$repo/src/OrleansBroker.Cli/bin/Release/net10.0/obroker.dll"

load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
gateway="$(free_port)"
silo_port="$(free_port "$gateway")"
management_port="$(free_port "$gateway" "$silo_port")"
data="$scratch/data"
mkdir -p "$data"
echo "compare.sh: starting the silo (gateway 127.0.0.1:$gateway, data $data)" >&2
(cd "$data" && exec dotnet "$silo_dll" --Broker:DataDirectory "$data" --Broker:GatewayPort "$gateway" \
  --Broker:SiloPort "$silo_port" --Broker:ManagementPort "$management_port" --Broker:FlushOnCommit "$FLUSH_ON_COMMIT") > "$scratch/silo.log" 2>&1 &
silo_pid=$!
# Ready, not just listening: the gateway's port is bound before the silo takes clients. Once, a bench that connected
# right after the port opened failed with "Could not find an implementation" for the broker's grains (not reproduced since).
ready() { (exec 3<>"/dev/tcp/127.0.0.1/$management_port" && printf 'GET /health/ready HTTP/1.0\r\n\r\n' >&3 && head -1 <&3 | grep -q ' 200 ') 2>/dev/null; }
for _ in $(seq 600); do
  ready && break
  kill -0 "$silo_pid" 2>/dev/null || { cat "$scratch/silo.log" >&2; echo "compare.sh: the silo exited while starting" >&2; exit 1; }
  sleep 0.1
done
ready || { echo "compare.sh: the silo was not ready within 60 s" >&2; exit 1; }

obroker() { dotnet "$cli_dll" --broker "127.0.0.1:$gateway" "$@"; }
bench() { # bench ARGS...: one obroker bench; its output goes to stderr and to ours.log, whose summary lines make the table
  obroker bench "$@" --json "$scratch/ours.jsonl" | tee -a "$scratch/ours.log" >&2 || { status=1; echo "compare.sh: obroker bench $* failed" >&2; }
}
topic="compare-$stamp"
if [ "$WARMUP" -gt 0 ]; then
  # Each bench is a new client process, so this warms the silo (JIT, activations), not the client.
  echo "compare.sh: warming the silo with $WARMUP records" >&2
  obroker bench produce "warmup-$stamp" --records "$WARMUP" --record-size "$SIZE" --producers "$PRODUCERS" --partitions "$PARTITIONS" > /dev/null 2>&1 || true
  obroker bench consume "warmup-$stamp" --records "$WARMUP" > /dev/null 2>&1 || true
fi
if has_phase produce; then
  ceiling=()
  [ "$CEILING" = 1 ] && ceiling=(--with-ceiling --ceiling-records "$CEILING_RECORDS")
  bench produce "$topic" --records "$RECORDS" --record-size "$SIZE" --producers "$PRODUCERS" --partitions "$PARTITIONS" --warmup "$WARMUP" "${ceiling[@]}"
fi
has_phase consume && bench consume "$topic" --records "$RECORDS" --warmup "$WARMUP"
has_phase e2e && bench e2e "$topic-live" --records "$((RATE * SECS))" --rate "$RATE" --record-size "$SIZE" --partitions "$PARTITIONS" --linger "$E2E_LINGER" --warmup "$WARMUP"
has_phase group && bench group "$topic" --records "$RECORDS" --consumers "$CONSUMERS" --warmup "$WARMUP"
has_phase queue && bench queue "$topic" --records "$RECORDS" --consumers "$CONSUMERS"
if has_phase partitions; then
  # Keys k1..k(5*MANY) hash (murmur2) to all but about e^-5 (0.7%) of the partitions.
  echo "compare.sh: $MANY partitions: creating, producing $((MANY * 5)) keyed records, reading them back" >&2
  many_started=$(date +%s.%N)
  obroker topics create "$topic-many" --partitions "$MANY" >&2 || status=1
  many_created=$(date +%s.%N)
  seq 1 "$((MANY * 5))" | awk -v size="$SIZE" '{ printf "k%d:%0*d\n", $1, size, $1 }' | obroker produce "$topic-many" --key-separator ':' >&2 || status=1
  bench consume "$topic-many" --records "$((MANY * 5))"
  with_records="$(obroker topics describe "$topic-many" | awk 'NR > 2 && $3 > $2 { n++ } END { print n + 0 }')"
  read -r rss hwm < <(awk '/^VmRSS/ { r = $2 } /^VmHWM/ { h = $2 } END { printf "%d %d\n", r / 1024, h / 1024 }' "/proc/$silo_pid/status")
  echo "PARTITIONS count=$MANY with_records=$with_records rss_mib=$rss hwm_mib=$hwm create_s=$(awk -v a="$many_started" -v b="$many_created" 'BEGIN { printf "%.1f", b - a }')" \
    | tee -a "$scratch/ours.log" >&2
fi
stop_silo
touch "$scratch/ours.log" "$scratch/peers.log"

if [ -z "${SKIP_PEERS:-}" ]; then
  [ -f "$peers_dir/run-peers.sh" ] || { echo "compare.sh: no run-peers.sh in $peers_dir (set PEERS_DIR, or SKIP_PEERS=1)" >&2; exit 1; }
  echo "compare.sh: running the peers: $PEERS" >&2
  # shellcheck disable=SC2086 # PEERS is a list of words
  # The peers run only the phases their harness knows; group, queue and partitions are OrleansBroker's own.
  peer_phases="$(tr ',' '\n' <<< "$PHASES" | grep -xE 'produce|consume|e2e' | paste -sd, -)"
  PHASES="$peer_phases" bash "$peers_dir/run-peers.sh" $PEERS | tee "$scratch/peers.log" >&2 || status=1
fi

fsync_before_ack() { # from the peer harness's README: which settings fsync before they acknowledge
  case "$1" in
    redis-always|rabbitmq-quorum) echo yes;;
    redis-everysec|nats-js|rabbitmq-stream) echo no;;
    *) echo "?";;
  esac
}
row() { # row SYSTEM PRODUCE_LINE CONSUME_LINE E2E_LINE FSYNC RATE_KEY: one table row from three summary lines
  local e2e="$4"
  echo "| $1 | $(rate "$(field "$2" rec_per_s)") | $(rate "$(field "$3" rec_per_s)") | $(ms "$(field "$e2e" p50_ms)") | $(ms "$(field "$e2e" p99_ms)") | $(ms "$(field "$e2e" p999_ms)") | $(rate "$(field "$e2e" "$6")") | $5 |"
}
ours() { grep "^bench=$1 topic=${2:-$topic} " "$scratch/ours.log" | tail -1 || true; } # ours BENCH [TOPIC]
peer() { grep "^PEER system=$1 phase=$2 " "$scratch/peers.log" | tail -1 || true; }

produce_line="$(ours produce)"
{
  echo "# OrleansBroker beside its peers, $stamp"
  echo
  echo "Machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load average before the run $load_before."
  echo "Workload: $RECORDS records of $SIZE B from $PRODUCERS producers, read back by one consumer; e2e: one producer at $RATE records/s for $SECS s (OrleansBroker's with linger $E2E_LINGER ms)."
  echo "OrleansBroker $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?'): one silo, File storage, $PARTITIONS partitions, FlushOnCommit=$FLUSH_ON_COMMIT."
  echo
  echo "| system | produce rec/s | consume rec/s | e2e p50 ms | e2e p99 ms | e2e p99.9 ms | e2e sent rec/s | fsync before ack |"
  echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |"
  [ "$FLUSH_ON_COMMIT" = true ] && ours_fsync=yes || ours_fsync=no
  row "orleansbroker" "$produce_line" "$(ours consume)" "$(ours e2e "$topic-live")" "$ours_fsync" achieved_rate
  if [ -z "${SKIP_PEERS:-}" ]; then
    for s in $PEERS; do
      row "$s" "$(peer "$s" produce)" "$(peer "$s" consume)" "$(peer "$s" e2e)" "$(fsync_before_ack "$s")" sent_rate
    done
  fi
  echo
  group_line="$(ours group)" queue_line="$(ours queue)" many_line="$(grep '^PARTITIONS ' "$scratch/ours.log" | tail -1 || true)"
  if [ -n "$group_line$queue_line$many_line" ]; then
    echo "| OrleansBroker only | result |"
    echo "| --- | ---: |"
    [ -n "$group_line" ] && echo "| consumer group of $CONSUMERS reading $RECORDS records | $(rate "$(field "$group_line" rec_per_s)") records/s |"
    [ -n "$queue_line" ] && echo "| queue group of $CONSUMERS, one acknowledgement per record | $(rate "$(field "$queue_line" rec_per_s)") acknowledged records/s |"
    [ -n "$many_line" ] && echo "| silo resident memory, $(field "$many_line" count) partitions ($(field "$many_line" with_records) holding records, all read back) | $(field "$many_line" rss_mib) MiB (peak $(field "$many_line" hwm_mib) MiB) |"
    echo
  fi
  if [ -n "$(field "$produce_line" ceiling_rec_per_s)" ]; then
    echo "OrleansBroker's produce reached $(field "$produce_line" pct_of_ceiling) % of the transport ceiling" \
      "($(rate "$(field "$produce_line" ceiling_rec_per_s)") records/s: 'obroker bench transport', the same records packed 1000 per grain call to a grain that does nothing)."
    echo
  fi
  echo "- \"-\": the phase did not run or failed; a peer's \"phase=error\" line below says why."
  echo "- Client and server share the machine's cores; each obroker bench is its own client process. The silo was warmed with"
  echo "  $WARMUP records first. In its own process, produce sends $WARMUP untimed records before the clock starts, consume and group read"
  echo "  $WARMUP untimed, and e2e sends $WARMUP untimed at its rate first, as the peers' PeerBench warms its client with $WARMUP"
  echo "  records in one process."
  echo "- fsync before ack: for the peers as their harness documents it (\`$peers_dir/README.md\`)."
  echo
  echo "<details><summary>Raw summary lines</summary>"
  echo
  echo '```'
  grep -h -e "^bench=" -e "^PEER " -e "^PARTITIONS " "$scratch/ours.log" "$scratch/peers.log" || true
  echo '```'
  echo "</details>"
} > "$scratch/compare.md"
mkdir -p "$(dirname "$results")"
cp "$scratch/compare.md" "$results"
[ -f "$scratch/ours.jsonl" ] && cp "$scratch/ours.jsonl" "${results%.md}.jsonl"
cat "$results"
echo "compare.sh: written to $results" >&2
exit $status
