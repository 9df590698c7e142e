#!/usr/bin/env bash
# Runs the deterministic simulator of the server core (its acknowledged clients: the client's ClientConnection) by hand.
#   scripts/simulate.sh --schedules N        N schedules from a seed drawn from the clock
#   scripts/simulate.sh --minutes M          as many as fit in M minutes
#   scripts/simulate.sh --schedules 1 --seed S --trace    replays seed S and prints its schedule
#   --no-nul-tails                           power losses never leave NUL tails (by default they may: xfs, ext4 after a failed fsync)
#   --client-clocks                          acknowledged clients' own clocks step (not yet in the default search); the server's steps back then 700 ms at most
#   --shared-ids                             two clients present one id in their hellos (a misconfiguration; README: not promised)
#   --tree                                   the tree instead: edges, a JetStream stand-in and the root (README "Scaling out")
# Prints each violation with its seed and ends with one line: "N schedules, N violations".
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build tests/Horodate.Simulation -c Release -nologo -v q >&2
exec dotnet artifacts/bin/Horodate.Simulation/release/Horodate.Simulation.dll "$@"
