#!/usr/bin/env bash
# Where the server's (or the client's) CPU goes: perf profiles of horodate's and of the lean C program, side by side.
#
#   bench/e2e/profile.sh [--reference DIR] [--ack] [--aot] [--client] [--seconds 8] [--keep DIR] N
#
# Runs horodate-server with horodate-client (plain, or acknowledged with --ack), then the C pair of DIR
# (default ../shared/reference/c beside the repository), N connections each; after a 5 s warm-up, records
# the server (the client with --client) with `perf record -g` for --seconds, and prints one table: the share of
# its samples per category (kernel TCP/IP, epoll, syscall entry, hypervisor, libc, program code, .NET runtime)
# and what that is in µs of CPU per value (its CPU over the window ÷ the values scheduled in it). JIT-compiled
# frames are named through the runtime's perf map (DOTNET_PerfMapEnabled=1); --aot profiles the native pair
# (published first if missing; its symbols come from the .dbg file beside each binary). --keep DIR keeps the
# perf.data files (perf report -i DIR/horodate/perf.data --sort sym for the functions). Needs perf (Debian:
# linux-perf) and root or kernel.perf_event_paranoid <= 1. Everything stays on 127.0.0.1; both runs are bounded in time.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=$root/../../shared/reference/c; [ -d "$ref" ] || ref=$root/../shared/reference/c; ack=0; aot=0; side=server; secs=8; keep=""; n=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) ref=$2; shift;;
    --ack) ack=1;;
    --aot) aot=1;;
    --client) side=client;;
    --seconds) secs=$2; shift;;
    --keep) keep=$2; shift;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | grep '^#'; exit 0;;
    -*) echo "profile.sh: unknown option $1" >&2; exit 2;;
    *) n=$1;;
  esac
  shift
done
[ -n "$n" ] || { echo "profile.sh: give N" >&2; exit 2; }
command -v perf >/dev/null || { echo "profile.sh: perf is missing: apt-get install -y linux-perf" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
# shellcheck source=lib.sh
. "$root/bench/e2e/lib.sh"
programs $aot || exit 1
work=${keep:-$(mktemp -d /tmp/horodate-profile.XXXXXX)}; mkdir -p "$work"
cp -r "$ref" "$work/c" && chmod -R u+w "$work/c" && make -s -C "$work/c" >/dev/null || { echo "cannot build $ref" >&2; exit 1; }
record() { # record PID DIR: the profile, and the process's CPU µs per scheduled value over the same window (in DIR/us)
  sleep 5
  local t0; t0=$(cpu_ticks "$1")
  perf record -F 999 -g -p "$1" -o "$2/perf.data" -- sleep "$secs" >/dev/null 2>&1
  local t1; t1=$(cpu_ticks "$1")
  [ -n "$t0" ] && [ -n "$t1" ] || { echo "profile.sh: the $side ended before the window did; logs in $2" >&2; exit 1; }
  awk -v a="$t0" -v b="$t1" -v hz="$(getconf CLK_TCK)" -v n="$n" -v t="$secs" 'BEGIN{printf "%.4f", (b-a)/hz*1e6/(n*20*t)}' >"$2/us"
}
started() { [ -n "$1" ] || { echo "profile.sh: $2 did not start; logs in $3" >&2; exit 1; }; }
# horodate
h=$work/horodate; mkdir -p "$h"
export DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0
"$server" --listen 127.0.0.1:0 --output "$h/out.txt" --status-interval 0s --json >"$h/server.out" 2>"$h/server.err" &
spid=$!
port=$(wait_port "$h/server.err" '.*listening on 127\.0\.0\.1:\([0-9]*\).*'); started "$port" horodate-server "$h"
copt=(); [ $ack = 0 ] && copt+=(--no-ack)
"$client" --server "127.0.0.1:$port" -n "$n" --duration "$((secs + 8))s" --status-interval 0s --json "${copt[@]}" >"$h/client.out" 2>"$h/client.err" &
cpid=$!
unset DOTNET_PerfMapEnabled DOTNET_EnableWriteXorExecute
hpids="$spid $cpid"
if [ $side = server ]; then record $spid "$h"; else record $cpid "$h"; fi
wait $cpid; kill -TERM $spid; wait $spid
# C
c=$work/cpair; mkdir -p "$c"
"$work/c/tsserver" 0 "$c/out.txt" --dedupe 2>"$c/server.err" &
spid=$!
port=$(wait_port "$c/server.err" '^LISTEN port=\([0-9]*\).*'); started "$port" tsserver "$c"
"$work/c/tsclient" 127.0.0.1 "$port" "$n" 50 "$((secs + 8))" --threads 2 >"$c/client.out" 2>"$c/client.err" &
cpid=$!
if [ $side = server ]; then record $spid "$c"; else record $cpid "$c"; fi
wait $cpid; kill -TERM $spid; wait $spid
hus=$(cat "$h/us"); cus=$(cat "$c/us")
echo "# N=$n, $([ $ack = 1 ] && echo acknowledged || echo plain) $([ $aot = 1 ] && echo native) horodate pair vs the C pair, $(date -u +%FT%TZ); $side CPU per scheduled value over the profiled window: horodate $hus µs, C $cus µs (valid when both kept up: see the client logs in --keep DIR)"
python3 "$root/bench/e2e/perf-categories.py" "$h/perf.data" "$hus" "$c/perf.data" "$cus"
for p in $hpids; do rm -f "/tmp/perf-$p.map" "/tmp/perfinfo-$p.map" "/tmp/jit-$p.dump"; done # the runtime's perf maps, read by perf report above
[ -n "$keep" ] || rm -rf "$work"
