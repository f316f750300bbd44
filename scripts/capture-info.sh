#!/usr/bin/env bash
# Captures the INFO fixtures of internal/collect/testdata/info from one
# engine binary: a standalone primary with one replica, and one node of a
# 3-node cluster-mode cluster, all on loopback, after a small workload
# (SET/GET/EXPIRE, an EVAL error reply, a WRONGTYPE, an unknown command,
# a slow EVAL). It writes, byte for byte as the server sent them:
#
#   primary.txt       INFO <the exporter's sections> of the primary
#   replica.txt       the same of the replica
#   cluster-node.txt  the same of the cluster's first node
#   cluster-info.txt  CLUSTER INFO of that node
#   <node>.latency-histogram.resp, <node>.latency-latest.resp
#                     the raw RESP2 replies of LATENCY HISTOGRAM and LATENCY
#                     LATEST of primary, replica and cluster-node (an error
#                     reply where the engine has no such command)
#
# The sections are internal/collect/node.go's infoSections; an engine that
# refuses multi-section INFO (Redis < 7) is asked for INFO all, as the
# exporter does. The servers run with latency-monitor-threshold 10, so the
# slow EVAL is a latency event.
#
# usage: scripts/capture-info.sh SERVER_BINARY OUT_DIR
#   e.g. scripts/capture-info.sh "$(command -v redis-server)" internal/collect/testdata/info/redis-7.0
# env:   CLI (default redis-cli; any RESP2 client works for every engine),
#        BASE_PORT (default 17400; uses BASE_PORT..BASE_PORT+4 on 127.0.0.1)
set -euo pipefail

server=${1:?usage: capture-info.sh SERVER_BINARY OUT_DIR}
out=${2:?usage: capture-info.sh SERVER_BINARY OUT_DIR}
cli=${CLI:-redis-cli}
base=${BASE_PORT:-17400}
sections=(server clients memory persistence stats replication cpu commandstats errorstats cluster keyspace latencystats)

command -v "$server" >/dev/null || { echo "capture-info: $server is not executable" >&2; exit 1; }
command -v "$cli" >/dev/null || { echo "capture-info: $cli is not on PATH" >&2; exit 1; }
mkdir -p "$out"
tmp=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

start() { # port [extra server args...]
  local port=$1; shift
  mkdir -p "$tmp/$port"
  "$server" --port "$port" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$tmp/$port" --logfile "$tmp/$port/server.log" \
    --slowlog-log-slower-than 10000 --latency-monitor-threshold 10 "$@" &
  pids+=($!)
  for _ in $(seq 100); do
    [ "$("$cli" -p "$port" PING 2>/dev/null)" = PONG ] && return 0
    sleep 0.1
  done
  echo "capture-info: server on port $port did not start:" >&2
  cat "$tmp/$port/server.log" >&2
  exit 1
}

wait_for() { # port section pattern
  for _ in $(seq 200); do
    "$cli" -p "$1" INFO "$2" | grep -q "$3" && return 0
    sleep 0.1
  done
  echo "capture-info: port $1 never reported $3" >&2
  exit 1
}

workload() { # cli args to reach the node(s)
  local c=("$cli" "$@")
  for i in $(seq 1 20); do "${c[@]}" SET "key:$i" "value-$i" >/dev/null; done
  for i in $(seq 1 10); do "${c[@]}" EXPIRE "key:$i" 3600 >/dev/null; done
  for i in $(seq 1 30); do "${c[@]}" GET "key:$i" >/dev/null; done
  "${c[@]}" INCRBY "{counter}" 5 >/dev/null
  "${c[@]}" HSET "{hash}" field value >/dev/null
  # Error replies: a script's own error code, WRONGTYPE, an unknown command.
  "${c[@]}" EVAL "return redis.error_reply('MYERR a script error')" 0 >/dev/null 2>&1 || true
  "${c[@]}" LPUSH "key:20" x >/dev/null 2>&1 || true
  "${c[@]}" NOSUCHCOMMAND >/dev/null 2>&1 || true
  # A slow command (tens of milliseconds of Lua, no DEBUG needed).
  "${c[@]}" EVAL "local i = 0 while i < 3000000 do i = i + 1 end return i" 0 >/dev/null
}

info() { # port file
  # -e is not used: redis-cli prints an error reply on stdout and exits 0
  # on some versions; the reply text decides.
  local reply
  reply=$("$cli" -p "$1" INFO "${sections[@]}" 2>&1 || true)
  if [[ $reply == ERR* ]]; then
    "$cli" -p "$1" INFO all >"$2"
  else
    "$cli" -p "$1" INFO "${sections[@]}" >"$2"
  fi
}

resp() { # port file command [args...]: the raw RESP2 reply, byte for byte
  local port=$1 file=$2 a
  shift 2
  exec 3<>"/dev/tcp/127.0.0.1/$port"
  {
    printf '*%d\r\n' $#
    for a in "$@"; do printf '$%d\r\n%s\r\n' "${#a}" "$a"; done
    printf '*1\r\n$4\r\nQUIT\r\n'
  } >&3
  cat <&3 >"$tmp/reply"
  exec 3<&-
  # The server closes the connection after QUIT's +OK; keep the reply only.
  [ "$(tail -c 5 "$tmp/reply" | od -An -c | tr -d ' ')" = '+OK\r\n' ] || { echo "capture-info: $* on port $port: no +OK after the reply" >&2; exit 1; }
  head -c -5 "$tmp/reply" >"$file"
}

latency() { # port node-name
  resp "$1" "$out/$2.latency-histogram.resp" LATENCY HISTOGRAM
  resp "$1" "$out/$2.latency-latest.resp" LATENCY LATEST
}

# A primary with one replica.
primary=$base replica=$((base + 1))
start "$primary"
start "$replica" --replicaof 127.0.0.1 "$primary"
wait_for "$replica" replication 'master_link_status:up'
workload -p "$primary"
"$cli" -p "$primary" WAIT 1 5000 >/dev/null
info "$primary" "$out/primary.txt"
info "$replica" "$out/replica.txt"
latency "$primary" primary
latency "$replica" replica

# One node of a 3-node cluster (three primaries, no replicas).
c1=$((base + 2)) c2=$((base + 3)) c3=$((base + 4))
for p in "$c1" "$c2" "$c3"; do
  start "$p" --cluster-enabled yes --cluster-config-file "$tmp/$p/nodes.conf" --cluster-node-timeout 5000
done
"$cli" --cluster create "127.0.0.1:$c1" "127.0.0.1:$c2" "127.0.0.1:$c3" --cluster-replicas 0 --cluster-yes >/dev/null
for p in "$c1" "$c2" "$c3"; do
  for _ in $(seq 200); do
    "$cli" -p "$p" CLUSTER INFO | grep -q 'cluster_state:ok' && break
    sleep 0.1
  done
done
workload -c -p "$c1"
info "$c1" "$out/cluster-node.txt"
"$cli" -p "$c1" CLUSTER INFO >"$out/cluster-info.txt"
latency "$c1" cluster-node

echo "capture-info: $("$server" --version) -> $out"
