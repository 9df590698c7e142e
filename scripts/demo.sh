#!/usr/bin/env bash
# The whole job on one machine: build, start the server on a free port, run a 50-connection client for
# 10 s with a record of what it sent, stop the server with SIGTERM, then verify the file against the record.
#
#   scripts/demo.sh [--aligned] [--keep-duplicates] [-n N] [--duration 10s] [--dir DIR]
#
# HORODATE_SERVER_BIN and HORODATE_CLIENT_BIN name other binaries to run (scripts/aot-check.sh: the native ones);
# then nothing is built (scripts/lib/common.sh).
# Everything stays on 127.0.0.1; every process is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/common.sh

n=50; duration=10s; aligned=(); keep=(); unique=(--unique); dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --aligned) aligned=(--aligned); shift;;
    --keep-duplicates) keep=(--keep-duplicates); unique=(); shift;;
    *) demo_option "$@"; shift "$taken";;
  esac
done

need_programs "$server" "$client"
make_dir horodate-demo
out=$dir/timestamps.txt; record=$dir/sent.txt
rm -f "$out" "$out.late" "$record"

echo "== server: $server --listen 127.0.0.1:0 --output $out ${keep[*]}"
"$server" --listen 127.0.0.1:0 --output "$out" --status-interval 2s "${keep[@]}" >"$dir/server.log" 2>&1 &
spid=$!; pids+=($spid)
wait_for "$dir/server.log" "listening on" $spid
port=$(listening_at "$dir/server.log"); port=${port##*:}

echo "== client: $client --server 127.0.0.1:$port -n $n --duration $duration ${aligned[*]} --record $record"
timeout 600 "$client" --server "127.0.0.1:$port" -n "$n" --duration "$duration" --status-interval 2s "${aligned[@]}" --record "$record"

echo "== stopping the server (SIGTERM)"
kill -TERM $spid
timeout 30 tail --pid=$spid -f /dev/null || true
wait $spid || { echo "server exited with an error" >&2; cat "$dir/server.log" >&2; exit 1; }
cat "$dir/server.log"

echo "== verify: $server verify $out ${unique[*]} --expect $record"
"$server" verify "$out" "${unique[@]}" --expect "$record"
echo "(files in $dir)"
