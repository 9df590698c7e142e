# What the demos share (scripts/demo.sh, scripts/cluster-demo.sh): their common options, the programs (built when
# missing), a working directory, waiting for a log line, and stopping every process they started.
# Sourced from the repository's root, after `set -euo pipefail`; $script names the caller in messages.
script=$(basename "$0")

# OPTION [VALUE]: takes the options every demo has (-n, --duration, --dir, -h) into n, duration and dir;
# sets taken to the number of words used. Anything else is an error.
demo_option() {
  taken=2
  case "$1" in
    -n|--connections) n=$2;;
    --duration) duration=$2;;
    --dir) dir=$2;;
    -h|--help) awk 'NR > 1 && !/^#/ { exit } NR > 1' "$0"; exit 0;;
    *) echo "$script: unknown option $1" >&2; exit 2;;
  esac
}

# The programs: the Release builds, or HORODATE_SERVER_BIN and HORODATE_CLIENT_BIN (scripts/aot-check.sh: the native ones).
server=${HORODATE_SERVER_BIN:-artifacts/bin/Horodate.Server/release/horodate-server}
client=${HORODATE_CLIENT_BIN:-artifacts/bin/Horodate.Client/release/horodate-client}
checker=artifacts/bin/Horodate.Checker/release/horodate-checker

# PROGRAM...: each program exists; unless HORODATE_SERVER_BIN or HORODATE_CLIENT_BIN named the binaries, the projects of
# missing ones are built (Release), their output shown only if the build fails.
need_programs() {
  local b missing=()
  for b; do [ -x "$b" ] || missing+=("$b"); done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ -n "${HORODATE_SERVER_BIN:-}${HORODATE_CLIENT_BIN:-}" ]; then
    echo "$script: ${missing[0]} is not an executable" >&2; exit 2
  fi
  echo "== building (dotnet build -c Release)"
  local log project name
  log=$(mktemp)
  for b in "${missing[@]}"; do
    name=$(basename "$(dirname "$(dirname "$b")")")  # artifacts/bin/<project>/release/<program>
    project=src/$name; [ -d "$project" ] || project=tools/$name  # (an `ls | head` here failed under pipefail: exit 2, silent)
    dotnet build "$project" -c Release -v quiet -nologo >"$log" 2>&1 || { cat "$log" >&2; echo "$script: the build failed" >&2; exit 1; }
  done
  rm -f "$log"
}

# PREFIX: dir (--dir), or a new directory /tmp/PREFIX.XXXXXX.
make_dir() {
  dir=${dir:-$(mktemp -d "/tmp/$1.XXXXXX")}
  mkdir -p "$dir"
}

# Every process started in the background goes into pids: killed (-9) at exit, whatever happened.
pids=()
cleanup() { for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# FILE PATTERN [PID]: until the line shows up in FILE (10 s at most; at once when PID has exited).
wait_for() {
  for _ in $(seq 100); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    [ -z "${3:-}" ] || kill -0 "$3" 2>/dev/null || break
    sleep 0.1
  done
  echo "$script: no '$2' in $1:" >&2; cat "$1" >&2; exit 1
}

# LOG: the address a server's log says it listens on (127.0.0.1:port).
listening_at() { sed -n 's/.*listening on \(127\.0\.0\.1:[0-9]*\).*/\1/p' "$1" | head -1; }
