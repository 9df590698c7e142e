#!/usr/bin/env bash
# The whole job on one machine: build, start the server on a free port, run a 50-connection client for
# 10 s with a record of what it sent, stop the server with SIGTERM, then verify the file against the record.
#
#   scripts/demo.sh [--aligned] [--keep-duplicates] [-n N] [--duration 10s] [--dir DIR]
#
# HORODATE_SERVER and HORODATE_CLIENT name other binaries to run (scripts/aot-check.sh: the native ones);
# then nothing is built.
# Everything stays on 127.0.0.1; every process is bounded in time.
set -euo pipefail
cd "$(dirname "$0")/.."

n=50; duration=10s; aligned=(); keep=(); unique=(--unique); dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --aligned) aligned=(--aligned);;
    --keep-duplicates) keep=(--keep-duplicates); unique=();;
    -n|--connections) n=$2; shift;;
    --duration) duration=$2; shift;;
    --dir) dir=$2; shift;;
    -h|--help) sed -n '2,10p' "$0"; exit 0;;
    *) echo "demo.sh: unknown option $1" >&2; exit 2;;
  esac
  shift
done

server=${HORODATE_SERVER:-artifacts/bin/Horodate.Server/release/horodate-server}
client=${HORODATE_CLIENT:-artifacts/bin/Horodate.Client/release/horodate-client}
if [ -n "${HORODATE_SERVER:-}${HORODATE_CLIENT:-}" ]; then
  for b in "$server" "$client"; do [ -x "$b" ] || { echo "demo.sh: $b is not an executable" >&2; exit 2; }; done
elif [ ! -x "$server" ] || [ ! -x "$client" ]; then
  echo "== building (dotnet build -c Release)"
  log=$(mktemp)
  dotnet build -c Release -v quiet -nologo >"$log" 2>&1 || { cat "$log" >&2; echo "demo.sh: the build failed" >&2; exit 1; }
  rm -f "$log"
fi

dir=${dir:-$(mktemp -d /tmp/horodate-demo.XXXXXX)}
mkdir -p "$dir"
out=$dir/timestamps.txt; record=$dir/sent.txt
rm -f "$out" "$out.late" "$record"

echo "== server: $server --listen 127.0.0.1:0 --output $out ${keep[*]}"
"$server" --listen 127.0.0.1:0 --output "$out" --report-interval 2s "${keep[@]}" >"$dir/server.log" 2>&1 &
spid=$!
trap 'kill -KILL $spid 2>/dev/null || true' EXIT
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/server.log" | head -1)
  [ -n "$port" ] && break
  kill -0 $spid 2>/dev/null || { cat "$dir/server.log" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "the server did not start:" >&2; cat "$dir/server.log" >&2; exit 1; }

echo "== client: $client --server 127.0.0.1:$port -n $n --duration $duration ${aligned[*]} --record $record"
timeout 600 "$client" --server "127.0.0.1:$port" -n "$n" --duration "$duration" --report-interval 2s "${aligned[@]}" --record "$record"

echo "== stopping the server (SIGTERM)"
kill -TERM $spid
timeout 30 tail --pid=$spid -f /dev/null || true
wait $spid || { echo "server exited with an error" >&2; cat "$dir/server.log" >&2; exit 1; }
cat "$dir/server.log"

echo "== verify: $server verify $out ${unique[*]} --expect $record"
"$server" verify "$out" "${unique[@]}" --expect "$record"
echo "(files in $dir)"
