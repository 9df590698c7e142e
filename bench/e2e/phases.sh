#!/usr/bin/env bash
# Where a whole run's server CPU goes, by phase: horodate-server against the lean C server, same N.
#
#   bench/e2e/phases.sh [--reference DIR] [--ack] [--aot] [--duration 12] [--runs 1] N
#
# Runs each pair as bench.sh does (horodate first, then the C pair; alternated with --runs), samples the
# server's CPU (user + system, /proc/PID/stat) every 50 ms, and prints the server's CPU in ms per phase:
#   start   process start to the client's start (the server is listening, nothing connected)
#   ramp    the client's first 2 s (the accepts and, acknowledged, the hellos; sending starts meanwhile)
#   steady  from 2 s to 1 s before the client's end, and the same as ms per second (the steady rate)
#   end     the client's last second and its exit (acknowledged: the half-closes and the final ACKs)
#   stop    SIGTERM to the server's exit (drain, final write and sync, closing every socket)
# and "extra": what the whole run cost above the steady rate times the run's length (start, ramp, end, stop
# as one figure). HORODATE_BENCH_SERVER / HORODATE_BENCH_CLIENT run other builds, as in bench.sh.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=$root/../../shared/reference/c; [ -d "$ref" ] || ref=$root/../shared/reference/c; ack=0; aot=0; duration=12; runs=1; n=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) ref=$2; shift;;
    --ack) ack=1;;
    --aot) aot=1;;
    --duration) duration=$2; shift;;
    --runs) runs=$2; shift;;
    -h|--help) sed -n '2,15p' "$0" | grep '^#'; exit 0;;
    -*) echo "phases.sh: unknown option $1" >&2; exit 2;;
    *) n=$1;;
  esac
  shift
done
[ -n "$n" ] || { echo "phases.sh: give N" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
if [ $aot = 1 ]; then
  server=$root/artifacts/publish/Horodate.Server/release_linux-x64/horodate-server
  client=$root/artifacts/publish/Horodate.Client/release_linux-x64/horodate-client
else
  server=$root/artifacts/bin/Horodate.Server/release/horodate-server
  client=$root/artifacts/bin/Horodate.Client/release/horodate-client
fi
server=${HORODATE_BENCH_SERVER:-$server}; client=${HORODATE_BENCH_CLIENT:-$client}
[ -x "$server" ] && [ -x "$client" ] || { echo "phases.sh: build or publish the programs first ($server)" >&2; exit 2; }
work=$(mktemp -d /tmp/horodate-phases.XXXXXX)
cp -r "$ref" "$work/c" && chmod -R u+w "$work/c" && make -s -C "$work/c" >/dev/null || { echo "cannot build $ref" >&2; exit 1; }
# shellcheck source=lib.sh
. "$root/bench/e2e/lib.sh"
now() { date +%s.%N; }
sample() { # sample PID OUT: "time ticks" every 50 ms while PID lives
  while t=$(cpu_ticks "$1"); [ -n "$t" ]; do echo "$(now) $t"; sleep 0.05; done >"$2"
}
report() { # report NAME DIR: the phases from DIR/samples and DIR/marks (launch, client, client_end, term)
  awk -v name="$1" -v n="$n" -v hz="$(getconf CLK_TCK)" '
    FNR == NR { mark[$1] = $2; next }
    { t[++k] = $1; c[k] = $2 }
    function at(x,   i) { for (i = 1; i <= k; i++) if (t[i] >= x) return c[i]; return c[k] }
    END {
      l = mark["launch"]; s = mark["client"]; e = mark["client_end"]; q = mark["term"]
      start = at(s); ramp = at(s + 2) - start; steady = at(e - 1) - at(s + 2); ending = at(q) - at(e - 1); stop = c[k] - at(q)
      span = (e - 1) - (s + 2); rate = steady / span
      total = c[k]; extra = total - rate * (e - s)
      printf "%-10s %6d %8.0f %8.0f %8.0f %9.1f %8.0f %8.0f %8.0f %8.0f\n", name, n, start*1000/hz, ramp*1000/hz, steady*1000/hz,
        rate*1000/hz, ending*1000/hz, stop*1000/hz, total*1000/hz, extra*1000/hz
    }' "$2/marks" "$2/samples"
}
run() { # run NAME DIR SERVER_CMD... (the server's port regex in $portre, the client command in $clientcmd)
  local name=$1 dir=$2; shift 2; mkdir -p "$dir"
  echo "launch $(now)" >"$dir/marks"
  "$@" 2>"$dir/server.err" >"$dir/server.out" &
  local spid=$!
  sample $spid "$dir/samples" &
  local port; port=$(wait_port "$dir/server.err" "$portre")
  [ -n "$port" ] || { echo "$name did not start; logs in $dir" >&2; kill -KILL $spid; return 1; }
  sleep 0.5
  echo "client $(now)" >>"$dir/marks"
  eval "$clientcmd" >"$dir/client.out" 2>"$dir/client.err"
  echo "client_end $(now)" >>"$dir/marks"
  echo "term $(now)" >>"$dir/marks"
  kill -TERM $spid; wait $spid; wait
  report "$name" "$dir"
}
printf "# server CPU ms by phase, N = %s, %s s, %s\n" "$n" "$duration" "$([ $ack = 1 ] && echo acknowledged || echo plain)"
printf "%-10s %6s %8s %8s %8s %9s %8s %8s %8s %8s\n" impl N start ramp steady steady/s end stop total extra
copt=""; [ $ack = 0 ] && copt="--no-ack"
for i in $(seq "$runs"); do
  portre='.*listening on 127\.0\.0\.1:\([0-9]*\).*'
  clientcmd='"$client" --server "127.0.0.1:$port" -n "$n" --duration "${duration}s" --status-interval 0s --json $copt'
  run horodate "$work/h$i" "$server" --listen 127.0.0.1:0 --output "$work/h$i.txt" --status-interval 0s --json
  portre='^LISTEN port=\([0-9]*\).*'
  clientcmd='"$work/c/tsclient" 127.0.0.1 "$port" "$n" 50 "$duration" --threads 2'
  run C "$work/c$i" "$work/c/tsserver" 0 "$work/c$i.txt" --dedupe
  rm -f "$work"/*.txt
done
