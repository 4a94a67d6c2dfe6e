#!/usr/bin/env bash
# Runs .ci/run N times (default 5) on fresh clones of this repository's HEAD while a busy loop
# holds one of the machine's cores, and prints each run's exit status, duration and closing line:
# the check that the suite does not pass or fail by timing luck on a loaded machine.
#   bash .ci/loaded-runs.sh [N]
set -u
N=${1:-5}
repo="$(cd "$(dirname "$0")/.." && pwd)"
node -e 'for(;;){}' &
busy=$!
trap 'kill $busy 2>/dev/null' EXIT
trap 'exit 130' INT TERM
for i in $(seq 1 "$N"); do
  clone="$(mktemp -d)"
  chmod 755 "$clone"  # the permission tests run a child as user nobody, who must reach the checkout
  git clone -q "$repo" "$clone/repo"
  start=$(date +%s)
  (cd "$clone/repo" && env -i PATH="$PATH" HOME="$HOME" CI=true bash .ci/run < /dev/null > "$clone/run.log" 2>&1)
  rc=$?
  echo "run $i: exit $rc, $(( $(date +%s) - start )) s, $(tail -1 "$clone/run.log")"
  if [ "$rc" -ne 0 ]; then echo "  log kept: $clone/run.log"; else rm -rf "$clone"; fi
done
