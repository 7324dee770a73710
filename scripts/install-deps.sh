#!/usr/bin/env bash
# Installs what decnet's build, demo and tests need on Debian 12: the container runtime, CNI plugins,
# PostgreSQL, and the real attacker clients the tests drive. Safe to re-run: it only calls apt-get when a
# package is missing. Needs root (or sudo) for apt-get.
set -euo pipefail

PACKAGES=(
  # runtime
  containerd runc containernetworking-plugins iproute2 iptables
  # store
  postgresql postgresql-client
  # tests: real clients and network tools
  iputils-ping tcpdump nmap hydra openssh-client sshpass curl smbclient freerdp2-x11 xvfb xauth
  default-mysql-client freetds-bin redis-tools ldap-utils lftp telnet netcat-openbsd procps
  ca-certificates git make
  # dashboard end-to-end suite: Debian's chromium driven headless by playwright-core (ui/e2e)
  chromium fonts-dejavu-core
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "install-deps: installing ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's packages would start services through systemd; there is none here and decnet runs private
# instances anyway, so nothing is started.
command -v go >/dev/null || { echo "install-deps: Go 1.26 is required (expected at /usr/local/go/bin)" >&2; exit 1; }
echo "install-deps: ok"
