#!/usr/bin/env bash
# Makes docs/dashboard.png: a server with --http, a few minutes of load that changes (200 connections, 300
# more joining, the first 200 leaving, one peer sending garbage), then a headless Chromium screenshot.
#
#   scripts/dashboard-screenshot.sh [OUTPUT.png] [--minutes 3]
#
# Needs Debian's chromium (/usr/bin/chromium, or HORODATE_CHROMIUM). Everything stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/.."

png=docs/dashboard.png; minutes=3
while [ $# -gt 0 ]; do
  case "$1" in
    --minutes) minutes=$2; shift;;
    -h|--help) sed -n '2,7p' "$0"; exit 0;;
    *) png=$1;;
  esac
  shift
done
chromium=${HORODATE_CHROMIUM:-/usr/bin/chromium}
[ -x "$chromium" ] || { echo "dashboard-screenshot.sh: no Chromium at $chromium (apt-get install chromium)" >&2; exit 1; }

server=artifacts/bin/Horodate.Server/release/horodate-server
client=artifacts/bin/Horodate.Client/release/horodate-client
if [ ! -x "$server" ] || [ ! -x "$client" ]; then
  dotnet build -c Release -v quiet -nologo >/dev/null
fi

dir=$(mktemp -d /tmp/horodate-dashboard.XXXXXX)
"$server" --listen 127.0.0.1:0 --http 127.0.0.1:0 --output "$dir/timestamps.txt" --quiet >"$dir/server.log" 2>&1 &
spid=$!
pids=()
trap 'kill -TERM ${pids[@]+"${pids[@]}"} $spid 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  grep -q 'dashboard on' "$dir/server.log" && break
  sleep 0.1
done
port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$dir/server.log")
http=$(sed -n 's|.*dashboard on http://\([0-9.:]*\)/.*|\1|p' "$dir/server.log")
[ -n "$port" ] && [ -n "$http" ] || { cat "$dir/server.log" >&2; exit 1; }
echo "server on 127.0.0.1:$port, dashboard on http://$http/ (files in $dir)"

total=$((minutes * 60))
timeout $((total + 30)) "$client" --server "127.0.0.1:$port" -n 200 --duration "$((total * 2 / 3))s" --quiet >"$dir/client-1.log" 2>&1 &
pids+=($!)
sleep $((total / 3))
timeout $((total + 30)) "$client" --server "127.0.0.1:$port" -n 300 --duration "$((total))s" --quiet >"$dir/client-2.log" 2>&1 &
pids+=($!)
sleep 5
exec 3<>"/dev/tcp/127.0.0.1/$port" && printf 'not a timestamp\n' >&3 && exec 3>&- # one rejected line
sleep $((total * 2 / 3 - 5))

"$chromium" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
  --disable-component-update --disable-sync --hide-scrollbars --user-data-dir="$dir/chromium" \
  --window-size=1280,1000 --virtual-time-budget=3000 --screenshot="$png" "http://$http/" 2>/dev/null
echo "wrote $png"
