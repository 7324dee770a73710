#!/bin/sh
# dev-containerd.sh start|stop DIR — run a private containerd (no CRI) with root, state and socket under DIR.
# start: writes DIR/config.toml, launches containerd in the background (log DIR/containerd.log, pid
# DIR/containerd.pid) and waits up to 10 s for DIR/containerd.sock. stop: SIGTERM by pid, wait up to 15 s,
# then SIGKILL.
set -eu
usage() { echo "usage: $0 start|stop DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$(mkdir -p "$2" && cd "$2" && pwd)
pidf=$dir/containerd.pid
sock=$dir/containerd.sock

running() { [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; }

case $cmd in
start)
	if running; then echo "containerd already running (pid $(cat "$pidf"))"; exit 0; fi
	command -v containerd >/dev/null || { echo "containerd not installed" >&2; exit 1; }
	cat >"$dir/config.toml" <<EOT
version = 2
root = "$dir/root"
state = "$dir/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$sock"
[ttrpc]
  address = ""
EOT
	rm -f "$sock"
	containerd --config "$dir/config.toml" >"$dir/containerd.log" 2>&1 &
	echo $! >"$pidf"
	i=0
	while [ ! -S "$sock" ]; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! running; then
			echo "containerd did not come up; see $dir/containerd.log" >&2
			tail -n 20 "$dir/containerd.log" >&2 || true
			exit 1
		fi
		sleep 0.1
	done
	echo "$sock"
	;;
stop)
	running || { rm -f "$pidf"; exit 0; }
	pid=$(cat "$pidf")
	kill -TERM "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		if [ $i -gt 150 ]; then kill -KILL "$pid" 2>/dev/null || true; break; fi
		sleep 0.1
	done
	rm -f "$pidf"
	;;
*) usage ;;
esac
