#!/usr/bin/env bash
# A real multi-host test bed on one machine: N network namespaces, each with its own address on a private
# bridge and a real sshd, so the fleet code is tested against real SSH servers, not a mock.
#
#   testbed.sh up     build it (idempotent: running it twice leaves one bed)
#   testbed.sh down   tear it down: sshds, namespaces, bridge, state (idempotent)
#   testbed.sh status print the inventory when the bed is up
#
# Settings (environment):
#   FLEET_HOSTS   how many hosts (3)
#   FLEET_IDLE    extra namespaces with an address but no sshd, for "unreachable host" tests (0)
#   FLEET_PREFIX  name prefix of namespaces, bridge and veths (flt): flt-n1…, flt-br
#   FLEET_NET     first three octets of the /24 used only on these veths (10.231.0); hosts are .11, .12, …
#   FLEET_STATE   state dir: keys, known_hosts, inventory.ini, sshd configs and logs
#                 (${TMPDIR:-/tmp}/faultline-fleet)
#   FLEET_ETCD    1: also run an etcd member in every host namespace, one cluster (n1…) over the bridge,
#                 clients on <host address>:2379 and 127.0.0.1:2379 inside the namespace (0); the inventory
#                 gets a group [etcd], and <state>/<host>/etcd.sh starts the host's member again (run on the
#                 host, e.g. over SSH: it writes its pid to etcd.pid and becomes etcd)
#   FLEET_SETENV  more NAME=VALUE words (no spaces or quotes) every SSH session on the hosts gets, through
#                 sshd's SetEnv: PATH=/some/dir:/usr/sbin:/usr/bin:/sbin:/bin puts a stand-in command first (tests)
# Needs root, iproute2 and openssh-server (sshd, ssh-keygen); etcd (Debian etcd-server) for FLEET_ETCD=1.
#
# Each host also gets its own /run/faultline (a small tmpfs in its sshd's mount namespace), as a machine has its
# own /run: faultline keeps its host-side marker files there. The hosts share the machine's pid namespace and
# the rest of its filesystem.
set -euo pipefail

HOSTS="${FLEET_HOSTS:-3}"
IDLE="${FLEET_IDLE:-0}"
PREFIX="${FLEET_PREFIX:-flt}"
NET="${FLEET_NET:-10.231.0}"
STATE="${FLEET_STATE:-${TMPDIR:-/tmp}/faultline-fleet}"
ETCD="${FLEET_ETCD:-0}"
SETENV="${FLEET_SETENV:-}"
BRIDGE="${PREFIX}-br"
SSHD=/usr/sbin/sshd
ETCD_BIN=/usr/bin/etcd
ETCDCTL_BIN=/usr/bin/etcdctl

die() { echo "testbed: $*" >&2; exit 1; }

[[ "$HOSTS" =~ ^[0-9]+$ && "$IDLE" =~ ^[0-9]+$ ]] || die "FLEET_HOSTS and FLEET_IDLE must be numbers"
[[ "$ETCD" == 0 || "$ETCD" == 1 ]] || die "FLEET_ETCD must be 0 or 1"
(( HOSTS + IDLE <= 200 )) || die "at most 200 namespaces"
[[ "$NET" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] || die "FLEET_NET must be three octets, like 10.231.0"
# Interface names are at most 15 characters: "<prefix>-n<i>-h" must fit.
(( ${#PREFIX} <= 8 )) || die "FLEET_PREFIX must be at most 8 characters"
for word in $SETENV; do
  [[ "$word" =~ ^[A-Za-z_][A-Za-z0-9_]*=[^\"\']*$ ]] || die "FLEET_SETENV: '$word' is not NAME=VALUE"
done

ns_name() { echo "${PREFIX}-n$1"; }
addr() { echo "${NET}.$((10 + $1))"; }
ns_exists() { ip netns list | awk '{print $1}' | grep -qx "$1"; }
pid_alive() { [[ -n "${1:-}" ]] && kill -0 "$1" 2>/dev/null; }

# The /24 must be ours alone: a route to it through another interface means a clash with a real network.
check_subnet() {
  local routes
  routes="$(ip -4 route show to "${NET}.0/24" 2>/dev/null || true)"
  if [[ -n "$routes" ]] && ! grep -q "dev ${BRIDGE}\b" <<<"$routes"; then
    die "${NET}.0/24 is already routed ($routes); pick another FLEET_NET"
  fi
}

up_bridge() {
  if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
    ip link add "$BRIDGE" type bridge
    ip addr add "${NET}.1/24" dev "$BRIDGE"
  fi
  ip link set "$BRIDGE" up
}

# One namespace with a veth to the bridge; the host end is "<ns>-h", the inside end is eth0.
up_namespace() {
  local i="$1" ns veth
  ns="$(ns_name "$i")"
  veth="${ns}-h"
  ns_exists "$ns" || ip netns add "$ns"
  if ! ip link show "$veth" >/dev/null 2>&1; then
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$BRIDGE"
    ip -n "$ns" addr add "$(addr "$i")/24" dev eth0
  fi
  ip link set "$veth" up
  ip -n "$ns" link set lo up
  ip -n "$ns" link set eth0 up
}

up_keys() {
  mkdir -p "$STATE"
  chmod 700 "$STATE"
  [[ -f "$STATE/id_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C "faultline-fleet" -f "$STATE/id_ed25519"
  cp "$STATE/id_ed25519.pub" "$STATE/authorized_keys"
  chmod 600 "$STATE/authorized_keys"
}

up_sshd() {
  local i="$1" ns dir pid
  ns="$(ns_name "$i")"
  dir="$STATE/$ns"
  mkdir -p "$dir"
  [[ -f "$dir/ssh_host_ed25519_key" ]] ||
    ssh-keygen -q -t ed25519 -N '' -C "$ns" -f "$dir/ssh_host_ed25519_key"
  # StrictModes off: the state dir may live under a world-writable /tmp, which sshd would reject.
  # SHLVL=1: bash skips ~/.bashrc for commands over SSH, so the machine's dotfiles (a slow or lock-taking
  # `pyenv init`, say) neither slow the bed nor serialize concurrent sessions.
  cat >"$dir/sshd_config" <<CONF
Port 22
ListenAddress 0.0.0.0
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AuthorizedKeysFile $STATE/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
MaxSessions 64
MaxStartups 64:30:128
ClientAliveInterval 0
SetEnv SHLVL=1${SETENV:+ $SETENV}
CONF
  pid="$(cat "$dir/sshd.pid" 2>/dev/null || true)"
  pid_alive "$pid" && return 0
  mkdir -p /run/sshd # privilege separation dir Debian's sshd expects
  # Its own UTS namespace too, so `hostname` on each host answers the host's name; and its own /run/faultline:
  # `ip netns exec` gives sshd a mount namespace of its own (a slave of ours), so the tmpfs is the host's alone.
  mkdir -p /run/faultline
  ip netns exec "$ns" unshare --uts sh -c "mount -t tmpfs -o size=4m,mode=0755 'faultline-$ns' /run/faultline &&
    hostname '$ns' && exec $SSHD -f '$dir/sshd_config' -E '$dir/sshd.log'"
  for _ in $(seq 50); do
    pid="$(cat "$dir/sshd.pid" 2>/dev/null || true)"
    pid_alive "$pid" && return 0
    sleep 0.1
  done
  die "sshd in $ns did not start; see $dir/sshd.log"
}

write_files() {
  local i ns
  : >"$STATE/known_hosts.tmp"
  {
    echo "# faultline fleet test bed: $HOSTS hosts on ${NET}.0/24 (generated by examples/fleet/testbed.sh)"
    echo "[fleet]"
    for ((i = 1; i <= HOSTS; i++)); do
      ns="$(ns_name "$i")"
      echo "$ns ansible_host=$(addr "$i")"
      echo "$(addr "$i") $(cut -d' ' -f1,2 "$STATE/$ns/ssh_host_ed25519_key.pub")" >>"$STATE/known_hosts.tmp"
    done
    echo
    echo "[fleet:vars]"
    echo "ansible_port=22"
    echo "ansible_user=root"
    echo "ansible_ssh_private_key_file=$STATE/id_ed25519"
    if [[ "$ETCD" == 1 ]]; then
      echo
      echo "# every host runs an etcd member"
      echo "[etcd:children]"
      echo "fleet"
    fi
    if ((IDLE > 0)); then
      echo
      echo "# namespaces with an address but no sshd"
      echo "[idle]"
      for ((i = HOSTS + 1; i <= HOSTS + IDLE; i++)); do echo "$(ns_name "$i") ansible_host=$(addr "$i")"; done
    fi
  } >"$STATE/inventory.ini.tmp"
  mv "$STATE/known_hosts.tmp" "$STATE/known_hosts"
  mv "$STATE/inventory.ini.tmp" "$STATE/inventory.ini"
}

wait_listening() {
  local i
  for ((i = 1; i <= HOSTS; i++)); do
    for _ in $(seq 50); do
      (exec 3<>"/dev/tcp/$(addr "$i")/22") 2>/dev/null && continue 2
      sleep 0.1
    done
    die "$(ns_name "$i") does not answer on $(addr "$i"):22"
  done
}

etcd_cluster() {
  local i list=""
  for ((i = 1; i <= HOSTS; i++)); do list+="${list:+,}n$i=http://$(addr "$i"):2380"; done
  echo "$list"
}

# One etcd member in host i's namespace, its data in the state dir; its pid (etcd itself: `ip netns exec`
# execs it) in etcd.pid. Already running: left alone.
up_etcd() {
  local i="$1" ns dir pid a
  ns="$(ns_name "$i")"
  dir="$STATE/$ns"
  a="$(addr "$i")"
  pid="$(cat "$dir/etcd.pid" 2>/dev/null || true)"
  pid_alive "$pid" && return 0
  mkdir -p "$dir/etcd"
  chmod 700 "$dir/etcd"
  : >"$dir/etcd.log"
  # the member's command in a script of its own, so a fault that killed it can start it again on its host
  cat >"$dir/etcd.sh" <<EOS
#!/bin/sh
# Starts etcd member n$i of the test bed; run inside $ns (by testbed.sh up, or over SSH on the host).
echo \$\$ >"$dir/etcd.pid"
ETCD_UNSUPPORTED_ARCH="$(uname -m | sed 's/x86_64//; s/aarch64/arm64/')" exec "$ETCD_BIN" \\
  --name "n$i" --data-dir "$dir/etcd" \\
  --listen-client-urls "http://$a:2379,http://127.0.0.1:2379" --advertise-client-urls "http://$a:2379" \\
  --listen-peer-urls "http://$a:2380" --initial-advertise-peer-urls "http://$a:2380" \\
  --initial-cluster "$(etcd_cluster)" --initial-cluster-state new --initial-cluster-token "${PREFIX}-etcd" \\
  </dev/null >>"$dir/etcd.log" 2>&1
EOS
  setsid ip netns exec "$ns" sh "$dir/etcd.sh" </dev/null >/dev/null 2>&1 &
  echo $! >"$dir/etcd.pid"
}

etcd_endpoints() {
  local i list=""
  for ((i = 1; i <= HOSTS; i++)); do list+="${list:+,}http://$(addr "$i"):2379"; done
  echo "$list"
}

wait_etcd() {
  for _ in $(seq 300); do
    ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints "$(etcd_endpoints)" --dial-timeout 1s --command-timeout 2s \
      endpoint health >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  die "the etcd cluster is not healthy; see $STATE/*/etcd.log"
}

cmd_up() {
  [[ $EUID -eq 0 ]] || die "needs root (network namespaces)"
  [[ -x "$SSHD" ]] || die "no $SSHD: apt-get install openssh-server"
  check_subnet
  up_bridge
  up_keys
  local i
  for ((i = 1; i <= HOSTS + IDLE; i++)); do up_namespace "$i"; done
  for ((i = 1; i <= HOSTS; i++)); do up_sshd "$i"; done
  write_files
  wait_listening
  if [[ "$ETCD" == 1 ]]; then
    [[ -x "$ETCD_BIN" && -x "$ETCDCTL_BIN" ]] || die "no $ETCD_BIN or $ETCDCTL_BIN: apt-get install etcd-server etcd-client"
    for ((i = 1; i <= HOSTS; i++)); do up_etcd "$i"; done
    wait_etcd
    echo "etcd up: $(etcd_endpoints)"
  fi
  echo "fleet up: $HOSTS hosts; inventory $STATE/inventory.ini, known_hosts $STATE/known_hosts"
}

# Kill one daemon (sshd, etcd) by the pid in its file, and its children (an sshd's sessions), never by name.
kill_daemon() {
  local pidfile="$1" pid
  pid="$(cat "$pidfile" 2>/dev/null || true)"
  [[ -n "$pid" ]] || return 0
  pkill -TERM -P "$pid" 2>/dev/null || true
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 30); do pid_alive "$pid" || return 0; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
}

cmd_down() {
  local pidfile ns
  if [[ -d "$STATE" ]]; then
    for pidfile in "$STATE"/*/etcd.pid "$STATE"/*/sshd.pid; do [[ -f "$pidfile" ]] && kill_daemon "$pidfile"; done
  fi
  # Every namespace of this prefix, whatever FLEET_HOSTS was when it was built.
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^${PREFIX}-n[0-9]+$" || true); do
    ip link del "${ns}-h" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$BRIDGE" 2>/dev/null || true
  rm -rf "$STATE"
  echo "fleet down"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) [[ -f "$STATE/inventory.ini" ]] && cat "$STATE/inventory.ini" || die "not up" ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
