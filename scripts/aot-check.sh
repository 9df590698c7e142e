#!/usr/bin/env bash
# CI check of the deployed form (README, Deploying): publishes both programs as NativeAOT binaries, fails on
# any warning (trim and AOT analysis included), then runs the native pair end to end with scripts/demo.sh
# (server on 127.0.0.1:0, 20 connections for 3 s, SIGTERM, `verify --unique --expect`). Prints one last
# line, `aot-check: PASS` or `aot-check: FAIL (why)`, and exits 0 or 1.
#
#   scripts/aot-check.sh
#
# Needs Debian's clang and zlib1g-dev (scripts/test.sh installs them). Takes a few minutes: each publish
# compiles the whole program and the runtime's libraries to native code (about 3 minutes for both on 2
# shared cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

rid=linux-x64
fail() { echo "aot-check: FAIL ($*)"; exit 1; }
start=$SECONDS
log=$(mktemp); trap 'rm -f "$log"' EXIT

for project in Server Client; do
  # A publish that finds its native compilation up to date repeats none of its warnings: start from a
  # clean intermediate directory so that every warning is seen on every run.
  rm -rf "artifacts/obj/Horodate.$project/release_$rid"
  echo "== dotnet publish src/Horodate.$project -c Release -r $rid -p:PublishAot=true"
  t=$SECONDS
  if ! dotnet publish "src/Horodate.$project" -c Release -r "$rid" -p:PublishAot=true -nologo -v quiet >"$log" 2>&1; then
    cat "$log"; fail "the publish of Horodate.$project failed"
  fi
  # The compiler's `warning CA1234:` and the native compiler's `Trim analysis warning IL2026:` alike.
  warnings=$(grep -E 'warning [A-Z]{2,}[0-9]{4}' "$log" | sort -u || true)
  if [ -n "$warnings" ]; then
    echo "$warnings"; fail "the publish of Horodate.$project has $(echo "$warnings" | wc -l) warning(s)"
  fi
  echo "   0 warnings, $((SECONDS - t)) s"
done

pub=artifacts/publish
server=$pub/Horodate.Server/release_$rid/horodate-server
client=$pub/Horodate.Client/release_$rid/horodate-client
ls -l "$server" "$client" | awk '{ printf "   %s  %.1f MiB\n", $NF, $5 / 1048576 }'

echo "== end to end with the native binaries (scripts/demo.sh)"
dir=$(mktemp -d /tmp/horodate-aot-check.XXXXXX)
if ! HORODATE_SERVER_BIN=$server HORODATE_CLIENT_BIN=$client scripts/demo.sh -n 20 --duration 3s --dir "$dir" >"$log" 2>&1; then
  cat "$log"; fail "the native end-to-end run failed (files in $dir)"
fi
grep -qx OK "$log" || { cat "$log"; fail "verify did not print OK (files in $dir)"; }
grep -E '^  (sent|written|missing|unexpected) ' "$log" | sed 's/^/ /'
rm -rf "$dir"
echo "aot-check: PASS (both programs published native with 0 warnings; end to end verified; $((SECONDS - start)) s)"
