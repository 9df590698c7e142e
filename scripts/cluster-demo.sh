#!/usr/bin/env bash
# The tree on one machine (docs/scaling.md): nats-server with JetStream and a password, three edges, a root, HAProxy
# in front of the edges, a client through HAProxy; an edge is killed (-9) midway; then the root is stopped and
# horodate-checker judges its file against what the client sent and had acknowledged. Ends with OK.
#
#   scripts/cluster-demo.sh [-n 300] [--duration 20s] [--dir DIR]
#
# Needs Debian's nats-server and haproxy (scripts/test.sh installs them). Everything stays on 127.0.0.1; every
# process started here is stopped here.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/common.sh

n=300; duration=20s; dir=""
while [ $# -gt 0 ]; do demo_option "$@"; shift "$taken"; done
for tool in nats-server haproxy; do
  command -v $tool >/dev/null || { echo "$script: needs $tool (apt-get install -y --no-install-recommends nats-server haproxy)" >&2; exit 2; }
done

need_programs "$server" "$client" "$checker"
make_dir horodate-tree
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
cpu() { # PID: CPU seconds used so far (user + system)
  awk -v t="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / t }' "/proc/$1/stat" 2>/dev/null || echo "?"
}

# Credentials travel in the environment (or a file: --nats-credentials), never on a command line.
export HORODATE_NATS_USER=horodate HORODATE_NATS_PASSWORD
HORODATE_NATS_PASSWORD=$(head -c 18 /dev/urandom | base64 | tr -d '/+=')
nport=$(free_port)
cat >"$dir/nats.conf" <<CONF
listen: 127.0.0.1:$nport
jetstream { store_dir: "$dir/jetstream" }
authorization { user: horodate, password: "$HORODATE_NATS_PASSWORD" }
CONF
chmod 600 "$dir/nats.conf"
echo "== nats-server -js on 127.0.0.1:$nport (store $dir/jetstream, password required)"
nats-server -c "$dir/nats.conf" >"$dir/nats.log" 2>&1 & pids+=($!); npid=$!
wait_for "$dir/nats.log" "Server is ready"
nats=nats://127.0.0.1:$nport

declare -A edge_pid edge_at
for e in e1 e2 e3; do
  "$server" edge --listen 127.0.0.1:0 --nats "$nats" --edge-id $e --status-interval 5s >"$dir/$e.log" 2>&1 & pids+=($!); edge_pid[$e]=$!
  wait_for "$dir/$e.log" "listening on"
  edge_at[$e]=$(listening_at "$dir/$e.log")
  echo "== edge $e on ${edge_at[$e]}"
done
"$server" root --nats "$nats" --output "$dir/root.txt" --status-interval 5s >"$dir/root.log" 2>&1 & pids+=($!); root=$!
wait_for "$dir/root.log" "listening on"
echo "== root writing $dir/root.txt"

hport=$(free_port)
{
  printf 'global\n  maxconn 8000\ndefaults\n  mode tcp\n  timeout connect 1s\n  timeout client 60s\n  timeout server 60s\n  retries 2\n  option redispatch\n'
  printf 'frontend horodate\n  bind 127.0.0.1:%s\n  default_backend edges\nbackend edges\n  balance leastconn\n' "$hport"
  for e in e1 e2 e3; do printf '  server %s %s check inter 200ms fall 1 rise 2\n' $e "${edge_at[$e]}"; done
} >"$dir/haproxy.cfg"
haproxy -db -f "$dir/haproxy.cfg" >"$dir/haproxy.log" 2>&1 & pids+=($!)
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/$hport) 2>/dev/null && break; sleep 0.1; done
hpid=${pids[-1]}
echo "== HAProxy (tcp, leastconn) on 127.0.0.1:$hport"

echo "== client: $n connections through HAProxy for $duration; edge e1 killed (-9) midway"
timeout 600 "$client" --server 127.0.0.1:$hport -n "$n" --duration "$duration" --status-interval 5s \
  --record "$dir/sent.txt" --record-acked "$dir/acked.txt" >"$dir/client.log" 2>&1 & cpid=$!; pids+=($cpid)
secs=${duration%s}; sleep $(( ${secs%.*} / 2 ))
kill -KILL "${edge_pid[e1]}"; echo "== killed edge e1"
wait $cpid; tail -n 8 "$dir/client.log"

echo "== waiting for the root to hold every acknowledged value (30 s at most), then stopping it (SIGTERM)"
for _ in $(seq 60); do "$checker" --output "$dir/root.txt" --acked "$dir/acked.txt" >/dev/null && break; sleep 0.5; done
echo "== CPU seconds: edges e2 $(cpu ${edge_pid[e2]}), e3 $(cpu ${edge_pid[e3]}) (e1 killed); root $(cpu $root); nats-server $(cpu $npid); haproxy $(cpu $hpid)"
kill -TERM $root; wait $root || true
tail -n 9 "$dir/root.log"
echo "== horodate-checker"
"$checker" --output "$dir/root.txt" --acked "$dir/acked.txt" --sent "$dir/sent.txt"
