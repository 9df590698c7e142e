#!/usr/bin/env bash
# End-to-end benchmark: server and client as separate processes on this machine, one row per run.
#
#   bench/e2e/bench.sh [--reference DIR] [--duration 15] [--interval 50] [--aligned] [--keep-duplicates]
#                      [--runs 1] [--threads T] [--src-ips K] [--ack] [--aot] [--label NAME] N [N ...]
#
# For each N: runs horodate-server + horodate-client for --duration seconds, stops the server with
# SIGTERM, verifies the output against the client's record, and prints one row. With --reference DIR
# (../shared/reference/c) it also runs the lean C pair on the same N, alternating, and prints the
# ratios of CPU per value (horodate / C). Every figure comes from the programs' own summaries:
# CPU = user + system time of the process, RSS = its peak (VmHWM).
#
# Limits on this machine: 20,000 file descriptors per process (hard), so at most ~19,990 connections
# per process; ephemeral ports 32768-60999, and connect() slows down sharply past ~14k connections to
# one (source, destination) pair: the C client spreads its sources over 127.0.0.1-4 with --src-ips 4.
# horodate-client runs in plain mode (--no-ack), like the C client; --ack measures the acknowledged mode.
# achieved counts the steady state: values sent per second from the moment every connection was up (for
# horodate in --ack mode, its hello answered: the greeting round trip belongs to the ramp) to the stop, from
# the client's steady_sent / steady_s; the C client connects everything first, then sends, and reports the
# same. CPU per value divides the whole process's CPU (ramp and stop included) by every value sent.
# --aot measures the native (NativeAOT) pair, the installed form (published first if missing; row horodate-aot).
# Each run also measures the steady state: the CPU both processes spend between 4 s after the client
# started (past the ramp, the JIT's warm-up and tiering) and 1 s before its end, divided by the values the
# schedule sends meanwhile (n / interval × the window: valid when the run keeps up). The totals (srv_us,
# cli_us) include each program's start, ramp and stop; the "steady" line leaves them out. A daemon that runs
# for days costs its steady figure; a 15 s run of the JIT build pays ~0.4 s of CPU for compiling on top.
# HORODATE_BENCH_SERVER / HORODATE_BENCH_CLIENT (paths) run other builds of the programs under the same harness
# (e.g. a ReadyToRun publish), labelled by --label (row name, default horodate or horodate-aot).
# Everything stays on 127.0.0.1; every process is bounded in time.
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
ref=""; duration=15; interval=50; aligned=0; keep=0; runs=1; threads=""; srcips=""; ack=0; aot=0; label=""; ns=()
while [ $# -gt 0 ]; do
  case "$1" in
    --reference) ref=$2; shift;;
    --duration) duration=$2; shift;;
    --interval) interval=$2; shift;;
    --aligned) aligned=1;;
    --keep-duplicates) keep=1;;
    --runs) runs=$2; shift;;
    --threads) threads=$2; shift;;
    --src-ips) srcips=$2; shift;;
    --ack) ack=1;;
    --aot) aot=1;;
    --label) label=$2; shift;;
    -h|--help) sed -n '2,/^set -uo/p' "$0" | grep '^#'; exit 0;;
    -*) echo "bench.sh: unknown option $1" >&2; exit 2;;
    *) ns+=("$1");;
  esac
  shift
done
[ ${#ns[@]} -gt 0 ] || { echo "bench.sh: give at least one N" >&2; exit 2; }
ulimit -n "$(ulimit -Hn)"

# shellcheck source=lib.sh
. "$root/bench/e2e/lib.sh"
programs $aot || exit 1
impl=${label:-$([ $aot = 1 ] && echo horodate-aot || echo horodate)}
work=$(mktemp -d /tmp/horodate-bench.XXXXXX)
if [ -n "$ref" ]; then
  cp -r "$ref" "$work/c" && chmod -R u+w "$work/c" && make -s -C "$work/c" >/dev/null || { echo "cannot build $ref" >&2; exit 1; }
fi

json() { sed -n "s/.*\"$2\":\([^,}]*\).*/\1/p" <<<"$1" | tr -d '"'; }
kv() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }
cpustat() { awk '/^cpu /{printf "%.2f\n", ($2+$3+$4+$7+$8)/100}' /proc/stat; }
wait_quiet() { # at most 30 s for < 15% of 2 cores busy over a second
  for _ in $(seq 30); do
    local b0 b1; b0=$(cpustat); sleep 1; b1=$(cpustat)
    awk -v a="$b0" -v b="$b1" 'BEGIN{exit !((b-a) < 0.30)}' && return
  done
}
steady_window() { # steady_window SERVER_PID CLIENT_PID N OUT: CPU µs per scheduled value of both, from 4 s to the end - 1 s
  local warm; warm=$(awk -v d="$duration" 'BEGIN{w=d/3; print (w>4?4:w)}')
  local span; span=$(awk -v d="$duration" -v w="$warm" 'BEGIN{print d-w-1}')
  echo "n/a n/a" >"$4"
  [ -n "$2" ] && awk -v s="$span" 'BEGIN{exit !(s > 0)}' || return 0 # no client process found, or a run too short
  sleep "$warm"; local s0 c0; s0=$(cpu_ticks "$1"); c0=$(cpu_ticks "$2")
  sleep "$span"; local s1 c1; s1=$(cpu_ticks "$1"); c1=$(cpu_ticks "$2")
  [ -n "$s0" ] && [ -n "$c0" ] && [ -n "$s1" ] && [ -n "$c1" ] || return 0 # a process ended inside the window
  awk -v s0="$s0" -v s1="$s1" -v c0="$c0" -v c1="$c1" -v n="$3" -v i="$interval" -v t="$span" -v hz="$(getconf CLK_TCK)" \
    'BEGIN{v=n*1000/i*t; printf "%.2f %.2f\n", (s1-s0)/hz*1e6/v, (c1-c0)/hz*1e6/v}' >"$4"
}
client_pid() { # the client under timeout(1): its child
  local p; for _ in $(seq 100); do p=$(pgrep -P "$1" | head -1); [ -n "$p" ] && { echo "$p"; return; }; sleep 0.01; done
}
stop_server() { # stop_server PID: SIGTERM, 30 s, then SIGKILL
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null; wait "$1" 2>/dev/null
}

mode=$([ $keep = 1 ] && echo keep || echo dedupe)$([ $aligned = 1 ] && echo ",aligned" || echo ",spread")$([ $ack = 1 ] && echo ",horodate in ack mode")
printf "# %s, interval %s ms, %s s per run, %s\n" "$mode" "$interval" "$duration" "$(date -u +%FT%TZ)"
header="%-12s %6s %9s %9s %8s %8s %8s %8s %8s %8s %7s %7s %6s %-8s %s\n"
printf "$header" impl N target/s achieved srv_us cli_us srv_MiB cli_MiB late_p50 late_p99 lag_p50 lag_p99 late verify keeps_up
# achieved = values sent per second of the steady state (every connection up; see the header)
row() { # impl n target achieved srv_us cli_us srv_mib cli_mib lp50 lp99 lag50 lag99 late verify
  local keeps
  keeps=$(awk -v a="$4" -v t="$3" -v lp="${10}" -v lag="${12}" -v late="${13}" -v v="${14}" \
    'BEGIN{print ((a >= 0.99*t) && (lp < 50) && (lag < 250) && (late == 0) && (v == "OK")) ? "YES" : "no"}')
  printf "$header" "$@" "$keeps"
}

run_horodate() { # n -> row; sets H_SRV_US H_CLI_US
  local n=$1 dir=$work/h-$1; rm -rf "$dir"; mkdir -p "$dir"
  local sopt=(); [ $keep = 1 ] && sopt+=(--keep-duplicates)
  local copt=(); [ $aligned = 1 ] && copt+=(--aligned); [ -n "$threads" ] && copt+=(--threads "$threads")
  [ -n "$srcips" ] && copt+=(--source-ips "$srcips")
  [ $ack = 0 ] && copt+=(--no-ack)
  "$server" --listen 127.0.0.1:0 --output "$dir/out.txt" --status-interval 0s --json "${sopt[@]}" >"$dir/server.out" 2>"$dir/server.err" &
  local spid=$!
  local port; port=$(wait_port "$dir/server.err" '.*listening on 127\.0\.0\.1:\([0-9]*\).*')
  [ -n "$port" ] || { echo "horodate-server did not start" >&2; cat "$dir/server.err" >&2; kill -KILL $spid; return 1; }
  timeout $((duration + 180)) "$client" --server "127.0.0.1:$port" -n "$n" --interval "${interval}ms" --duration "${duration}s" \
    --record "$dir/rec.txt" --status-interval 0s --json "${copt[@]}" >"$dir/client.out" 2>"$dir/client.err" &
  local cpid=$!
  steady_window $spid "$(client_pid $cpid)" "$n" "$dir/steady" &
  local wpid=$!
  wait $cpid; wait $wpid
  read -r H_SRV_STEADY H_CLI_STEADY <"$dir/steady"
  stop_server $spid
  local c s; c=$(cat "$dir/client.out"); s=$(cat "$dir/server.out") # --json: stdout is the one summary object
  [ -n "$c" ] && [ -n "$s" ] || { echo "horodate run failed; logs in $dir" >&2; return 1; }
  local vopt=(); [ $keep = 0 ] && vopt+=(--unique)
  local verdict; verdict=$("$server" verify "$dir/out.txt" "${vopt[@]}" --expect "$dir/rec.txt" | tail -1)
  local sent elapsed_s recv scpu ccpu
  sent=$(json "$c" sent); elapsed_s=$(json "$c" elapsed_s); recv=$(json "$s" received)
  local steady_sent steady_s; steady_sent=$(json "$c" steady_sent); steady_s=$(json "$c" steady_s)
  scpu=$(json "$s" cpu_seconds); ccpu=$(json "$c" cpu_seconds)
  H_SRV_US=$(awk -v c="$scpu" -v r="$recv" 'BEGIN{printf "%.2f", (r>0 ? c*1e6/r : 0)}')
  H_CLI_US=$(awk -v c="$ccpu" -v r="$sent" 'BEGIN{printf "%.2f", (r>0 ? c*1e6/r : 0)}')
  row "$impl" "$n" "$(awk -v n="$n" -v i="$interval" 'BEGIN{printf "%.0f", n*1000/i}')" \
    "$(awk -v s="$sent" -v e="$elapsed_s" -v ss="$steady_sent" -v se="$steady_s" 'BEGIN{printf "%.0f", (se>0 ? ss/se : s/e)}')" "$H_SRV_US" "$H_CLI_US" \
    "$(awk -v b="$(json "$s" peak_rss_bytes)" 'BEGIN{printf "%.1f", b/1048576}')" \
    "$(awk -v b="$(json "$c" peak_rss_bytes)" 'BEGIN{printf "%.1f", b/1048576}')" \
    "$(awk -v u="$(json "$c" lateness_p50_us)" 'BEGIN{printf "%.2f", u/1000}')" \
    "$(awk -v u="$(json "$c" lateness_p99_us)" 'BEGIN{printf "%.2f", u/1000}')" \
    "$(json "$s" lag_p50_ms)" "$(json "$s" lag_p99_ms)" "$(json "$s" late)" "$verdict"
  rm -f "$dir/out.txt" "$dir/rec.txt"
}

run_c() { # n -> row; sets C_SRV_US C_CLI_US
  local n=$1 dir=$work/c-$1; rm -rf "$dir"; mkdir -p "$dir"
  local sopt=(); [ $keep = 0 ] && sopt+=(--dedupe)
  local copt=(--threads "${threads:-2}"); [ $aligned = 1 ] && copt+=(--aligned); [ -n "$srcips" ] && copt+=(--src-ips "$srcips")
  "$work/c/tsserver" 0 "$dir/out.txt" "${sopt[@]}" 2>"$dir/server.err" &
  local spid=$!
  local port; port=$(wait_port "$dir/server.err" '^LISTEN port=\([0-9]*\).*')
  [ -n "$port" ] || { echo "tsserver did not start" >&2; kill -KILL $spid; return 1; }
  timeout -s INT -k 10 $((duration + 180)) "$work/c/tsclient" 127.0.0.1 "$port" "$n" "$interval" "$duration" \
    --record "$dir/rec.txt" "${copt[@]}" >"$dir/client.out" 2>"$dir/client.err" &
  local cpid=$!
  steady_window $spid "$(client_pid $cpid)" "$n" "$dir/steady" &
  local wpid=$!
  wait $cpid; wait $wpid
  read -r C_SRV_STEADY C_CLI_STEADY <"$dir/steady"
  stop_server $spid
  local c s; c=$(grep '^CLIENT ' "$dir/client.out"); s=$(grep '^SERVER ' "$dir/server.err")
  [ -n "$c" ] && [ -n "$s" ] || { echo "C run failed; logs in $dir" >&2; return 1; }
  local sent; sent=$(kv "$c" sent)
  local copt2=(); [ $keep = 1 ] && copt2+=(--expect-lines "$sent") || copt2+=(--dedupe)
  local verdict; verdict=$(kv "$("$work/c/tscheck" "$dir/out.txt" "$dir/rec.txt" "${copt2[@]}")" result)
  local crss; crss=$(sed -n 's/.*maxrss \([0-9]*\) KiB.*/\1/p' "$dir/client.out" | head -1)
  C_SRV_US=$(awk -v c="$(kv "$s" cpu_s)" -v r="$(kv "$s" received)" 'BEGIN{printf "%.2f", (r>0 ? c*1e6/r : 0)}')
  C_CLI_US=$(awk -v c="$(kv "$c" cpu_s)" -v r="$sent" 'BEGIN{printf "%.2f", (r>0 ? c*1e6/r : 0)}')
  row C "$n" "$(kv "$c" target_rate | cut -d. -f1)" "$(kv "$c" rate | cut -d. -f1)" "$C_SRV_US" "$C_CLI_US" \
    "$(awk -v k="$(kv "$s" maxrss_kb)" 'BEGIN{printf "%.1f", k/1024}')" "$(awk -v k="${crss:-0}" 'BEGIN{printf "%.1f", k/1024}')" \
    "$(kv "$c" late_p50_ms)" "$(kv "$c" late_p99_ms)" "$(kv "$s" lag_p50_ms)" "$(kv "$s" lag_p99_ms)" "$(kv "$s" late)" "$verdict"
  rm -f "$dir/out.txt" "$dir/rec.txt"
}

for n in "${ns[@]}"; do
  for _ in $(seq "$runs"); do
    wait_quiet; run_horodate "$n" || continue
    if [ -n "$ref" ]; then
      wait_quiet; run_c "$n" || continue
      awk -v hs="$H_SRV_US" -v cs="$C_SRV_US" -v hc="$H_CLI_US" -v cc="$C_CLI_US" -v n="$n" \
        'BEGIN{printf "ratio     %6s  server CPU/value x%.2f, client CPU/value x%.2f (horodate / C)\n", n, (cs>0?hs/cs:0), (cc>0?hc/cc:0)}'
      awk -v hs="$H_SRV_STEADY" -v cs="$C_SRV_STEADY" -v hc="$H_CLI_STEADY" -v cc="$C_CLI_STEADY" -v n="$n" \
        'BEGIN{printf "steady    %6s  server %s vs %s us/value x%s, client %s vs %s us/value x%s (horodate / C, without start, ramp and stop; valid for runs that kept up)\n", n, hs, cs, r(hs,cs), hc, cc, r(hc,cc)} function r(a,b){return (a+0>0 && b+0>0) ? sprintf("%.2f", a/b) : "n/a"}'
    else
      echo "steady    $n  server $H_SRV_STEADY us/value, client $H_CLI_STEADY us/value (without start, ramp and stop)"
    fi
  done
done
echo "# logs in $work"
