#!/usr/bin/env bash
# make demo: build (done by make), start decnetd with its private containerd (dev stack) in the background,
# build the isolated lab L2, deploy conf/examples/lab.ini, show the fleet, attack it from the attacker
# netns (ping, nmap -sV, an SSH login) and print the events it produced. `make demo-down` (this script with
# "down") tears the fleet down, stops decnetd and its containerd, and removes the lab.
# State lives under $DEMO_DIR (default ./.demo): state/ (decnetd, containerd), log/decnet.log, decnetd.log.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=$PWD/bin
DEMO_DIR=${DEMO_DIR:-$PWD/.demo}
export DECNET_STATE_DIR=$DEMO_DIR/state DECNET_LOG_DIR=$DEMO_DIR/log DECNET_CONFIG=/nonexistent/decnet.ini
ATK="ip netns exec decnet-attacker"
PIDF=$DEMO_DIR/decnetd.pid

[ "$(id -u)" -eq 0 ] || { echo "the demo needs root (containerd, netns, macvlan)" >&2; exit 1; }

running() { [ -f "$PIDF" ] && kill -0 "$(cat "$PIDF")" 2>/dev/null; }

down() {
	if running; then
		"$BIN/decnetctl" teardown --all --yes || true
		kill -TERM "$(cat "$PIDF")" 2>/dev/null || true
		for _ in $(seq 100); do running || break; sleep 0.1; done
	fi
	rm -f "$PIDF"
	sh scripts/dev-containerd.sh stop "$DECNET_STATE_DIR/containerd" || true
	"$BIN/decnetctl" lab down || true
	echo "demo stopped (state kept in $DEMO_DIR; rm -rf it to start from scratch)"
}

if [ "${1:-}" = down ]; then down; exit 0; fi

mkdir -p "$DEMO_DIR"
# The API (and dashboard) need a JWT secret and a bootstrap admin password: a random secret kept with the
# demo state, and a demo password the dashboard asks you to change at first login.
[ -s "$DEMO_DIR/jwt.secret" ] || od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$DEMO_DIR/jwt.secret"
export DECNET_JWT_SECRET="$(cat "$DEMO_DIR/jwt.secret")"
export DECNET_ADMIN_PASSWORD="${DECNET_ADMIN_PASSWORD:-decnet-demo-admin}"
echo "== starting decnetd (dev stack; log $DEMO_DIR/decnetd.log)"
if running; then
	echo "decnetd already running (pid $(cat "$PIDF"))"
else
	nohup "$BIN/decnetd" --dev-stack --state-dir "$DECNET_STATE_DIR" >>"$DEMO_DIR/decnetd.log" 2>&1 &
	echo $! >"$PIDF"
fi
for i in $(seq 300); do
	"$BIN/decnetctl" status >/dev/null 2>&1 && break
	running || { echo "decnetd exited; see $DEMO_DIR/decnetd.log" >&2; tail -n 20 "$DEMO_DIR/decnetd.log" >&2; exit 1; }
	[ "$i" -lt 300 ] || { echo "decnetd did not come up" >&2; exit 1; }
	sleep 0.2
done

echo
echo "== lab network"
"$BIN/decnetctl" lab up

echo
echo "== deploying conf/examples/lab.ini"
"$BIN/decnetctl" deploy --config conf/examples/lab.ini --host-ip 10.213.0.250 --mode replace

echo
echo "== fleet"
sleep 1
"$BIN/decnetctl" status

echo
echo "== attacks from the attacker namespace (10.213.0.250)"
for ip in 10.213.0.10 10.213.0.11 10.213.0.12; do
	$ATK ping -c 1 -W 2 "$ip" | grep -E 'ttl=' || echo "ping $ip: no answer"
done
if command -v nmap >/dev/null; then
	echo "-- nmap -sV"
	$ATK timeout 120 nmap -Pn -sV --version-light -p 21,22,23,80,445,3389 10.213.0.10-12 || true
else
	echo "(nmap not installed: skipping the scan)"
fi
if command -v sshpass >/dev/null; then
	echo "-- ssh root@10.213.0.10 (password admin): hostname; id"
	for _ in 1 2 3 4 5; do
		$ATK sshpass -p admin ssh -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
			-o ConnectTimeout=5 root@10.213.0.10 'hostname; id' && break
		sleep 1
	done
else
	echo "(sshpass not installed: skipping the SSH login)"
fi

echo
echo "== the events these attacks produced ($DECNET_LOG_DIR/decnet.log, last 25)"
sleep 1
tail -n 25 "$DECNET_LOG_DIR/decnet.log" | cut -c1-300

cat <<EOT

== attack further
  ip netns exec decnet-attacker ssh root@10.213.0.10            # password: admin
  ip netns exec decnet-attacker telnet 10.213.0.12
  ip netns exec decnet-attacker ftp 10.213.0.12
  ip netns exec decnet-attacker nmap -sV -O 10.213.0.10-12
  ip netns exec decnet-attacker curl -i http://10.213.0.10/
  tail -f $DECNET_LOG_DIR/decnet.log                             # the events
  DECNET_STATE_DIR=$DECNET_STATE_DIR bin/decnetctl status        # the fleet
  bin/decnetctl mutate --decky linux                             # re-roll a decky's services

== dashboard
  http://127.0.0.1:8000/   user admin, password $DECNET_ADMIN_PASSWORD (you will be asked to change it)

== stop
  make demo-down
EOT
