#!/usr/bin/env bash
# The edge hop's CPU per value, side by side in one sitting (docs/scaling.md "Measured here"): for each N,
# (a) a single horodate-server, then (b) nats-server -js + ONE edge + the root, the client straight to the edge
# (no HAProxy), then (c) the same with HAProxy in front. horodate-client in acknowledged mode, 50 ms, --duration.
# CPU per value of each process from /proc/PID/stat over the steady window (4 s after the client starts to 1 s
# before its end, as bench.sh's steady_window), values = N × 20/s × window. The root's lag from its --json summary.
#
#   flock /work/wt/heavy.lock bench/e2e/edge-hop.sh [--duration 15] [--no-haproxy] N [N ...]
# Everything on 127.0.0.1; every process started here is stopped here. Run it alone (the heavy lock).
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/common.sh
duration=15; haproxy=1; ns=()
while [ $# -gt 0 ]; do case "$1" in --duration) duration=$2; shift 2;; --no-haproxy) haproxy=0; shift;; *) ns+=("$1"); shift;; esac; done
need_programs "$server" "$client"
make_dir horodate-edgehop
ulimit -n 65536 2>/dev/null || true
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
json() { python3 -c 'import json,sys; print(json.loads(sys.argv[1]).get(sys.argv[2], "?"))' "$1" "$2" 2>/dev/null || echo "?"; }
# FILE SECONDS: the root's true lag, read from outside: polls FILE (epoch-ms lines) every 2 ms for SECONDS and prints
# p50 p99 max of (time the line is seen - its value) in ms. The root's own lag_*_ms is 250 ms low and clamped at 0
# (BalancerAllowance sets its clock back), so this is the one that counts.
tail_lag() {
  python3 - "$1" "$2" <<'PY'
import os, sys, time
path, secs = sys.argv[1], float(sys.argv[2]); lags = []; buf = b""
pos = os.path.getsize(path) if os.path.exists(path) else 0  # lines already written were not seen arriving
end = time.time() + secs
while time.time() < end:
    try:
        with open(path, "rb") as f:
            f.seek(pos); chunk = f.read(); pos += len(chunk)
    except FileNotFoundError:
        chunk = b""
    now = time.time() * 1000; buf += chunk; *lines, buf = buf.split(b"\n")
    new = [now - int(l) for l in lines if len(l.strip()) == 13 and l.strip().isdigit()]; lags += new
    if new: print("%.0f %d %.0f" % (now, len(new), max(new)), file=sys.stderr)  # seen at, lines, worst lag
    time.sleep(0.002)
lags.sort(); q = lambda p: lags[min(len(lags) - 1, int(p * len(lags)))] if lags else float("nan")
print("%.0f %.0f %.0f" % (q(0.5), q(0.99), lags[-1] if lags else float("nan")))
PY
}
warm=4; span=$((duration - warm - 1)); hz=$(getconf CLK_TCK)
stop() { for p; do kill -TERM "$p" 2>/dev/null || true; done; for p; do wait "$p" 2>/dev/null || true; done; }

# load N ADDR OUTDIR PID...: runs the client, samples each PID's CPU over the window; prints "µs/value" per PID.
load() {
  local n=$1 addr=$2 out=$3; shift 3
  "$client" --server "$addr" -n "$n" --duration "${duration}s" --status-interval 0s --json >"$out/client.json" 2>"$out/client.err" &
  local cpid=$!; pids+=($cpid)
  sleep $warm; local p t0=() t1=(); for p; do t0+=("$(cpu_ticks "$p")"); done; t0+=("$(cpu_ticks $cpid)")
  sleep $span; for p; do t1+=("$(cpu_ticks "$p")"); done; t1+=("$(cpu_ticks $cpid)")
  wait $cpid || true
  local i v=$((n * 20 * span)) res=""
  for i in "${!t0[@]}"; do res+=" $(awk -v a="${t0[$i]}" -v b="${t1[$i]}" -v v=$v -v hz="$hz" 'BEGIN{printf "%.2f", (b-a)/hz*1e6/v}')"; done
  echo "$res"
}

for n in "${ns[@]}"; do
  # (a) a single server
  d=$dir/single-$n; mkdir -p "$d"
  "$server" --listen 127.0.0.1:0 --output "$d/out.txt" --status-interval 0s --json >"$d/server.json" 2>"$d/server.err" & spid=$!; pids+=($spid)
  wait_for "$d/server.err" "listening on"
  r=$(load "$n" "$(listening_at "$d/server.err")" "$d" $spid); stop $spid
  c=$(cat "$d/client.json"); s=$(cat "$d/server.json")
  read -r us_single us_cli <<<"$r"
  echo "N=$n single: sent=$(json "$c" sent) acked=$(json "$c" acked) server=${us_single}us/value client=${us_cli}us lag_p50=$(json "$s" lag_p50_ms) lag_p99=$(json "$s" lag_p99_ms)"

  for via in direct haproxy; do
    [ $via = haproxy ] && [ $haproxy = 0 ] && continue
    d=$dir/tree-$via-$n; mkdir -p "$d"
    export HORODATE_NATS_USER=horodate HORODATE_NATS_PASSWORD
    HORODATE_NATS_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
    nport=$(free_port)
    printf 'listen: 127.0.0.1:%s\njetstream { store_dir: "%s/jetstream" }\nauthorization { user: horodate, password: "%s" }\n' \
      "$nport" "$d" "$HORODATE_NATS_PASSWORD" >"$d/nats.conf"; chmod 600 "$d/nats.conf"
    nats-server -c "$d/nats.conf" >"$d/nats.log" 2>&1 & npid=$!; pids+=($npid)
    wait_for "$d/nats.log" "Server is ready"
    "$server" edge --listen 127.0.0.1:0 --nats nats://127.0.0.1:$nport --edge-id e1 --status-interval 0s --json >"$d/edge.json" 2>"$d/edge.err" & epid=$!; pids+=($epid)
    wait_for "$d/edge.err" "listening on"
    "$server" root --nats nats://127.0.0.1:$nport --output "$d/root.txt" --status-interval 0s --json >"$d/root.json" 2>"$d/root.err" & rpid=$!; pids+=($rpid)
    wait_for "$d/root.err" "listening on"
    addr=$(listening_at "$d/edge.err"); watch=($epid $rpid $npid)
    if [ $via = haproxy ]; then
      hport=$(free_port)
      printf 'global\n  maxconn 6000\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\nfrontend h\n  bind 127.0.0.1:%s\n  default_backend e\nbackend e\n  server e1 %s\n' "$hport" "$addr" >"$d/haproxy.cfg"
      haproxy -db -f "$d/haproxy.cfg" >"$d/haproxy.log" 2>&1 & hpid=$!; pids+=($hpid)
      for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$hport) 2>/dev/null && break; sleep 0.1; done
      addr=127.0.0.1:$hport; watch+=($hpid)
    fi
    (sleep $warm; tail_lag "$d/root.txt" $span >"$d/lag" 2>"$d/lag.trace") & lpid=$!
    r=$(load "$n" "$addr" "$d" "${watch[@]}"); wait $lpid; read -r l50 l99 lmax <"$d/lag"
    sleep 2 # the last frames reach the root
    [ $via = haproxy ] && stop $hpid
    stop $epid; stop $rpid; stop $npid
    c=$(cat "$d/client.json"); rs=$(cat "$d/root.json")
    read -r us_edge us_root us_nats x y <<<"$r"
    [ $via = haproxy ] && us_h=$x || { us_h=-; y=$x; }
    echo "N=$n tree/$via: sent=$(json "$c" sent) acked=$(json "$c" acked) edge=${us_edge}us ($(awk -v a="$us_edge" -v b="$us_single" 'BEGIN{printf "%.2f", a/b}')x single) root=${us_root}us nats=${us_nats}us haproxy=${us_h}us client=${y}us root_true_lag_ms p50/p99/max=$l50/$l99/$lmax (summary $(json "$rs" lag_p50_ms)/$(json "$rs" lag_p99_ms)) root_received=$(json "$rs" received) root_late=$(json "$rs" late)"
  done
done
echo "logs in $dir"
