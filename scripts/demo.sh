#!/usr/bin/env bash
# make demo: shows decnet working on this machine. Today it plans the lab fleet offline and runs one
# decky's emulators on loopback against real clients; the containerd-backed lab fleet joins as the
# runtime lands.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=bin

echo "== decnet catalogue"
$BIN/decnetctl archetypes
echo
echo "== the lab fleet a deploy would create (offline plan, seed 7)"
$BIN/decnetctl plan --config conf/examples/lab.ini --host-ip 10.213.0.250 --seed 7
echo
echo "== the same plan as JSON"
$BIN/decnetctl plan --config conf/examples/lab.ini --host-ip 10.213.0.250 --seed 7 -o json
