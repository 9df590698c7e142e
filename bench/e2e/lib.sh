# Sourced by the end-to-end scripts of bench/e2e: what they share.

# wait_port LOGFILE REGEX -> the port a starting server logged (REGEX's first group), waiting up to 10 s.
wait_port() {
  for _ in $(seq 200); do
    local p; p=$(sed -n "s/$2/\1/p" "$1" | head -1)
    [ -n "$p" ] && { echo "$p"; return; }
    sleep 0.05
  done
}

# cpu_ticks PID -> user + system CPU of the process so far, in clock ticks (getconf CLK_TCK); nothing once it is gone.
cpu_ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null; }

# programs AOT -> sets server and client: the native (NativeAOT) pair, published first if missing, when AOT is 1;
# otherwise the JIT build, built first if missing. HORODATE_BENCH_SERVER / HORODATE_BENCH_CLIENT (paths) replace either.
# Needs root (the repository). Returns 1 if a build failed.
programs() {
  if [ "$1" = 1 ]; then
    server=$root/artifacts/publish/Horodate.Server/release_linux-x64/horodate-server
    client=$root/artifacts/publish/Horodate.Client/release_linux-x64/horodate-client
    for p in Server Client; do
      [ -x "$root/artifacts/publish/Horodate.$p/release_linux-x64/horodate-${p,,}" ] ||
        (cd "$root" && dotnet publish "src/Horodate.$p" -c Release -r linux-x64 -p:PublishAot=true -v quiet -nologo >/dev/null) || return 1
    done
  else
    server=$root/artifacts/bin/Horodate.Server/release/horodate-server
    client=$root/artifacts/bin/Horodate.Client/release/horodate-client
    [ -x "$server" ] && [ -x "$client" ] || (cd "$root" && dotnet build -c Release -v quiet -nologo >/dev/null) || return 1
  fi
  # A build older than the last commit to src/ measures older code: say so (the figures would be the old code's).
  local changed b; changed=$(cd "$root" && git log -1 --format=%ct -- src 2>/dev/null || true)
  for b in "$server" "$client"; do
    if [ -n "$changed" ] && [ "$(stat -c %Y "$b")" -lt "$changed" ]; then
      echo "warning: $b is older than the last commit to src/: rebuild or republish it to measure this code" >&2
    fi
  done
  server=${HORODATE_BENCH_SERVER:-$server}; client=${HORODATE_BENCH_CLIENT:-$client}
}
