#!/usr/bin/env bash
# Where the server's CPU goes: perf profiles of horodate-server and of the lean C server, side by side.
#
#   bench/e2e/profile.sh [--reference DIR] [--ack] [--seconds 8] [--keep DIR] N
#
# Runs horodate-server with horodate-client (plain, or acknowledged with --ack), then the C pair of DIR
# (default ../shared/reference/c beside the repository), N connections each; after a 5 s warm-up, records
# the server with `perf record -g` for --seconds, and prints one table: the share of the server's samples
# per category (kernel TCP/IP, epoll, syscall entry, hypervisor, libc, program code, .NET runtime) and
# what that is in µs of CPU per value received (the server's own CPU total ÷ values received). JIT-compiled
# frames are named through the runtime's perf map (DOTNET_PerfMapEnabled=1). Needs perf (Debian: linux-perf)
# and root or kernel.perf_event_paranoid <= 1. Everything stays on 127.0.0.1; both runs are bounded in time.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=$root/../shared/reference/c; ack=0; secs=8; keep=""; n=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) ref=$2; shift;;
    --ack) ack=1;;
    --seconds) secs=$2; shift;;
    --keep) keep=$2; shift;;
    -h|--help) sed -n '2,12p' "$0"; exit 0;;
    -*) echo "profile.sh: unknown option $1" >&2; exit 2;;
    *) n=$1;;
  esac
  shift
done
[ -n "$n" ] || { echo "profile.sh: give N" >&2; exit 2; }
command -v perf >/dev/null || { echo "profile.sh: perf is missing: apt-get install -y linux-perf" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"
server=$root/artifacts/bin/Horodate.Server/release/horodate-server
client=$root/artifacts/bin/Horodate.Client/release/horodate-client
[ -x "$server" ] && [ -x "$client" ] || (cd "$root" && dotnet build -c Release -v quiet -nologo >/dev/null) || exit 1
work=${keep:-$(mktemp -d /tmp/horodate-profile.XXXXXX)}; mkdir -p "$work"
cp -r "$ref" "$work/c" && chmod -R u+w "$work/c" && make -s -C "$work/c" >/dev/null || { echo "cannot build $ref" >&2; exit 1; }
wait_port() { for _ in $(seq 200); do local p; p=$(sed -n "s/$2/\1/p" "$1" | head -1); [ -n "$p" ] && { echo "$p"; return; }; sleep 0.05; done; }
record() { # record PID DIR
  sleep 5
  perf record -F 999 -g -p "$1" -o "$2/perf.data" -- sleep "$secs" >/dev/null 2>&1
}
# horodate
h=$work/horodate; mkdir -p "$h"
DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0 "$server" --listen 127.0.0.1:0 --output "$h/out.txt" --status-interval 0s --json >"$h/server.out" 2>"$h/server.err" &
spid=$!
port=$(wait_port "$h/server.err" '.*listening on 127\.0\.0\.1:\([0-9]*\).*')
copt=(); [ $ack = 0 ] && copt+=(--no-ack)
"$client" --server "127.0.0.1:$port" -n "$n" --duration "$((secs + 8))s" --status-interval 0s --json "${copt[@]}" >"$h/client.out" 2>"$h/client.err" &
cpid=$!
record $spid "$h"; wait $cpid; kill -TERM $spid; wait $spid
# C
c=$work/cpair; mkdir -p "$c"
"$work/c/tsserver" 0 "$c/out.txt" --dedupe 2>"$c/server.err" &
spid=$!
port=$(wait_port "$c/server.err" '^LISTEN port=\([0-9]*\).*')
"$work/c/tsclient" 127.0.0.1 "$port" "$n" 50 "$((secs + 8))" --threads 2 >"$c/client.out" 2>"$c/client.err" &
cpid=$!
record $spid "$c"; wait $cpid; kill -TERM $spid; wait $spid
hus=$(tr ',' '\n' <"$h/server.out" | awk -F: '/"received"/{r=$2} /"cpu_seconds"/{c=$2} END{printf "%.4f", c*1e6/r}')
cus=$(sed -n 's/.* received=\([0-9]*\) .* cpu_s=\([0-9.]*\) .*/\2 \1/p' "$c/server.err" | awk '{printf "%.4f", $1*1e6/$2}')
echo "# N=$n, $([ $ack = 1 ] && echo acknowledged || echo plain) horodate pair vs the C pair, $(date -u +%FT%TZ); server CPU per value: horodate $hus µs, C $cus µs"
python3 "$root/bench/e2e/perf-categories.py" "$h/perf.data" "$hus" "$c/perf.data" "$cus"
[ -n "$keep" ] || rm -rf "$work"
