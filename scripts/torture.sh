#!/usr/bin/env bash
# The fault-schedule harness over the real processes (issue 10 §3): schedules drawn from seeds (mode, a mix
# of acknowledged and plain client processes, 50–200 connections, server SIGTERM / kill -9 with an outage of
# 0–20 s, clients killed and restarted, a full disk, slow / half-open / garbage peers), each checked by the
# independent tools/Horodate.Checker against the clients' records.
#
#   scripts/torture.sh --minutes M [--seed S] [--keep] [--work DIR]   # schedules S, S+1, ... for M minutes
#   scripts/torture.sh --seed S                                       # replay one schedule
#   scripts/torture.sh --tree [--same-id-restarts] --minutes M        # the tree's schedules (nats-server, 2–3 edges,
#                                                                     # a root, HAProxy or --server per edge; kill -9
#                                                                     # and SIGSTOP of each part), the same options
#
# Ends with "N schedules, N faults, N violations"; exit code 0 when there is no violation. Everything stays
# on 127.0.0.1 and every process is bounded in time; the output lives on a tmpfs (root) so a fault can fill it.
# A failing schedule's files stay in DIR/seed-S, DIR/tree-seed-S for the tree (default /tmp/horodate-torture).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  -h|--help) sed -n '2,15p' "$0"; exit 0;;
esac

if [ "${HORODATE_TORTURE_NO_BUILD:-}" != 1 ]; then
  for project in src/Horodate.Server src/Horodate.Client tools/Horodate.Checker tools/Horodate.Torture; do
    dotnet build "$project" -c Release -nologo -v quiet >/dev/null
  done
fi
exec artifacts/bin/Horodate.Torture/release/horodate-torture "$@"
