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
