#!/usr/bin/env bash
# Where a whole run's CPU goes, by phase, for the server and the client: horodate's pair against the lean C pair, same N.
#
#   bench/e2e/phases.sh [--reference DIR] [--ack] [--aot] [--duration 12] [--runs 1] [--label NAME] N
#
# Runs each pair as bench.sh does (horodate first, then the C pair; alternated with --runs), samples both processes'
# CPU (user + system, /proc/PID/stat) every 50 ms, and prints, per side, the CPU in ms per phase:
#   server: start   process start to the client's start (listening, nothing connected)
#           ramp    the client's first 2 s (the accepts and, acknowledged, the hellos; sending starts meanwhile)
#           steady  from 2 s to 1 s before the client's exit, and the same as ms per second (the steady rate)
#           end     the client's last second and its exit (acknowledged: the half-closes and the final ACKs)
#           stop    SIGTERM to the server's exit (drain, final write and sync, closing every socket)
#   client: start   — (the client's start is in its ramp)
#           ramp    its first 2 s (process start, connects, hellos; sending starts meanwhile)
#           steady  from 2 s to 1 s before it stopped sending (its summary: horodate's elapsed_s, C's connect + elapsed)
#           end     its last second of sending
#           stop    from the end of sending to its exit (acknowledged: the half-closes, the wait for the last ACKs)
# and "extra": what the whole run cost above the steady rate times the run's length (the client's from its start to
# the client's exit for the server; its sending time for the client). HORODATE_BENCH_SERVER / HORODATE_BENCH_CLIENT
# run other builds, as in bench.sh; --label names their rows.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=$root/../../shared/reference/c; [ -d "$ref" ] || ref=$root/../shared/reference/c; ack=0; aot=0; duration=12; runs=1; n=""; label=horodate
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) ref=$2; shift;;
    --ack) ack=1;;
    --aot) aot=1;;
    --duration) duration=$2; shift;;
    --runs) runs=$2; shift;;
    --label) label=$2; shift;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | grep '^#'; exit 0;;
    -*) echo "phases.sh: unknown option $1" >&2; exit 2;;
    *) n=$1;;
  esac
  shift
done
[ -n "$n" ] || { echo "phases.sh: give N" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
# shellcheck source=lib.sh
. "$root/bench/e2e/lib.sh"
programs $aot || exit 1
work=$(mktemp -d /tmp/horodate-phases.XXXXXX)
cp -r "$ref" "$work/c" && chmod -R u+w "$work/c" && make -s -C "$work/c" >/dev/null || { echo "cannot build $ref" >&2; exit 1; }
# The samplers fork nothing (an awk, a date and a sleep 40 times a second disturbed the runs on 2 cores): /proc is
# read by bash, and a pause is a read that times out on a pipe nobody writes to.
exec {pausefd}<> <(:)
pause() { read -r -t "$1" -u "$pausefd"; }
now() { echo "$EPOCHREALTIME"; }
stat_fields() { # stat_fields PID -> F: the fields of /proc/PID/stat after the command's name (F[0] state, F[11] utime, F[12] stime)
  local line; read -r line 2>/dev/null <"/proc/$1/stat" || return 1
  F=(${line##*) })
}
sample() { # sample PID OUT: "time ticks" every 50 ms while PID lives (an exited child is read until it is reaped)
  while stat_fields "$1"; do echo "$EPOCHREALTIME $((F[11] + F[12]))"; pause 0.05; done >"$2"
}
report() { # report NAME SIDE SAMPLES MARKS: the phases of one process (marks: launch, client, client_end, term, sent_end)
  awk -v name="$1" -v side="$2" -v n="$n" -v hz="$(getconf CLK_TCK)" '
    FNR == NR { mark[$1] = $2; next }
    { t[++k] = $1; c[k] = $2 }
    function at(x,   i) { for (i = 1; i <= k; i++) if (t[i] >= x) return c[i]; return c[k] }
    function ms(x) { return x * 1000 / hz }
    END {
      s = mark["client"]; e = mark["client_end"]; q = mark["term"]; total = c[k]
      if (side == "server") {
        start = at(s); ramp = at(s + 2) - start; steady = at(e - 1) - at(s + 2); ending = at(q) - at(e - 1); stop = total - at(q)
        span = (e - 1) - (s + 2); length_ = e - s
      } else {
        x = mark["sent_end"]; start = "-"; ramp = at(s + 2); steady = at(x - 1) - at(s + 2); ending = at(x) - at(x - 1); stop = total - at(x)
        span = (x - 1) - (s + 2); length_ = x - s
      }
      rate = steady / span; extra = total - rate * length_
      printf "%-10s %-6s %6d %8s %8.0f %8.0f %9.1f %8.0f %8.0f %8.0f %8.0f\n", name, side, n, (start == "-" ? "-" : sprintf("%.0f", ms(start))),
        ms(ramp), ms(steady), ms(rate), ms(ending), ms(stop), ms(total), ms(extra)
    }' "$4" "$3"
}
run() { # run NAME DIR SERVER_CMD... (the server's port regex in $portre, the client command in $clientcmd, its sending time in $sentre)
  local name=$1 dir=$2; shift 2; mkdir -p "$dir"
  echo "launch $(now)" >"$dir/marks"
  "$@" 2>"$dir/server.err" >"$dir/server.out" &
  local spid=$!
  sample $spid "$dir/samples" &
  local ssampler=$!
  local port; port=$(wait_port "$dir/server.err" "$portre")
  [ -n "$port" ] || { echo "$name did not start; logs in $dir" >&2; kill -KILL $spid; return 1; }
  sleep 0.5
  echo "client $(now)" >>"$dir/marks"
  (eval "exec $clientcmd") >"$dir/client.out" 2>"$dir/client.err" &
  local cpid=$!
  sample $cpid "$dir/client.samples" &
  local csampler=$!
  while stat_fields $cpid && [ "${F[0]}" != Z ]; do pause 0.02; done
  pause 0.1 # the sampler reads the exited client once more
  wait $cpid; wait $csampler
  echo "client_end $(now)" >>"$dir/marks"
  echo "term $(now)" >>"$dir/marks"
  kill -TERM $spid; wait $spid; wait $ssampler
  local s; s=$(awk '$1 == "client" {print $2}' "$dir/marks")
  echo "sent_end $(eval "$sentre" | awk -v s="$s" '{printf "%.3f\n", s + $1}')" >>"$dir/marks"
  report "$name" server "$dir/samples" "$dir/marks"
  report "$name" client "$dir/client.samples" "$dir/marks"
}
printf "# CPU ms by phase, N = %s, %s s, %s, %s\n" "$n" "$duration" "$([ $ack = 1 ] && echo acknowledged || echo plain)" "$(date -u +%FT%TZ)"
printf "%-10s %-6s %6s %8s %8s %8s %9s %8s %8s %8s %8s\n" impl side N start ramp steady steady/s end stop total extra
copt=""; [ $ack = 0 ] && copt="--no-ack"
for i in $(seq "$runs"); do
  portre='.*listening on 127\.0\.0\.1:\([0-9]*\).*'
  clientcmd='"$client" --server "127.0.0.1:$port" -n "$n" --duration "${duration}s" --status-interval 0s --json $copt'
  sentre='sed -n "s/.*\"elapsed_s\":\([0-9.]*\).*/\1/p" "$dir/client.out"'
  run "$label" "$work/h$i" "$server" --listen 127.0.0.1:0 --output "$work/h$i.txt" --status-interval 0s --json
  portre='^LISTEN port=\([0-9]*\).*'
  clientcmd='"$work/c/tsclient" 127.0.0.1 "$port" "$n" 50 "$duration" --threads 2'
  sentre='sed -n "s/.*connect=\([0-9.]*\)s.*/\1/p; s/^CLIENT .* elapsed=\([0-9.]*\) .*/\1/p" "$dir/client.out" | awk "{t += \$1} END {print t + 0.1}"'
  run C "$work/c$i" "$work/c/tsserver" 0 "$work/c$i.txt" --dedupe
  rm -f "$work"/*.txt
done
echo "# logs in $work"
