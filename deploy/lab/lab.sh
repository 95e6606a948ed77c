#!/usr/bin/env bash
# Keelson lab plumbing: N "hosts" on one machine, each a network namespace with its own address on a
# bridge, so that a multi-node cluster runs without Docker. Called by `./keelson lab ...`; usable by hand.
#
#   lab.sh up --dir DIR --nodes N [--id ID]   create bridge + one netns per host; writes DIR/lab/state
#   lab.sh routes --dir DIR [--kubeconfig K]  route every node's spec.podCIDR via that node's address
#                                             (host and each netns); waits for the nodes' CIDRs
#   lab.sh exec --dir DIR N -- CMD...         run CMD inside host N's namespace
#   lab.sh addr --dir DIR N|gateway           print host N's address (or the bridge address)
#   lab.sh partition --dir DIR NODE           cut host NODE (lab-2 or 2) off the bridge
#   lab.sh heal --dir DIR NODE                reconnect it (and re-apply the pod routes)
#   lab.sh status --dir DIR                   print the state, link states and pod routes
#   lab.sh down --dir DIR                     kill what runs in the namespaces, remove every namespace,
#                                             veth, bridge, route and nft table; leaves nothing behind
# DIR defaults to $KEELSON_DIR or ~/.keelson. Needs root (ip netns).
set -euo pipefail

die() { echo "lab: $*" >&2; exit 1; }
say() { echo "lab: $*" >&2; }

CMD=${1:-}; [ -n "$CMD" ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
shift
DIR=${KEELSON_DIR:-$HOME/.keelson}; NODES=""; ID=""; KCFG=""; ARGS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dir) DIR=$2; shift 2 ;;
    --dir=*) DIR=${1#--dir=}; shift ;;
    --nodes) NODES=$2; shift 2 ;;
    --nodes=*) NODES=${1#--nodes=}; shift ;;
    --id) ID=$2; shift 2 ;;
    --kubeconfig) KCFG=$2; shift 2 ;;
    --) shift; ARGS+=("--"); ARGS+=("$@"); break ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) ARGS+=("$1"); shift ;;
  esac
done
mkdir -p "$DIR"
DIR=$(cd "$DIR" && pwd)
STATE=$DIR/lab/state
[ -n "$KCFG" ] || KCFG=$DIR/kubeconfig

need_root() { [ "$(id -u)" = 0 ] || die "needs root (network namespaces); run as root or with sudo"; }
load_state() { [ -f "$STATE" ] || die "no lab in $DIR (no $STATE); run: lab.sh up --dir $DIR --nodes N"; . "$STATE"; }

# node argument: "lab-2", "2" -> 2
node_index() {
  local n=${1#lab-}
  [[ "$n" =~ ^[0-9]+$ ]] && [ "$n" -ge 1 ] && [ "$n" -le "$LAB_NODES" ] || die "no lab host '$1' (have lab-1..lab-$LAB_NODES)"
  echo "$n"
}

lab_up() {
  need_root
  [[ "$NODES" =~ ^[0-9]+$ ]] && [ "$NODES" -ge 1 ] && [ "$NODES" -le 50 ] || die "--nodes N (1..50) required"
  if [ -f "$STATE" ]; then
    . "$STATE"
    if ip link show "$LAB_BRIDGE" >/dev/null 2>&1 && [ "$LAB_NODES" = "$NODES" ]; then
      say "lab $LAB_ID already up (bridge $LAB_BRIDGE $LAB_GATEWAY)"; print_state; return 0
    fi
    say "stale or different lab state in $STATE; removing it first"; lab_down
  fi
  # The id names every interface: unique per DIR so two labs coexist. Interface names max 15 chars.
  [ -n "$ID" ] || ID=$(printf '%s' "$DIR" | sha1sum | cut -c1-6)
  [[ "$ID" =~ ^[a-z0-9]{1,6}$ ]] || die "--id must be 1-6 lowercase letters/digits"
  # Pick 10.X.0.0/24, X in 100..199, starting from the id's hash, skipping subnets already routed.
  local start=$(( 0x$(printf '%s' "$ID" | sha1sum | cut -c1-4) % 100 )) x="" i
  for i in $(seq 0 99); do
    local c=$(( 100 + (start + i) % 100 ))
    if [ -z "$(ip -4 route show to match "10.$c.0.1" | grep -v '^default')" ]; then x=$c; break; fi
  done
  [ -n "$x" ] || die "no free 10.X.0.0/24 subnet for the lab bridge"
  local br=klab0-$ID gw=10.$x.0.1
  mkdir -p "$DIR/lab"
  {
    echo "LAB_ID=$ID"; echo "LAB_BRIDGE=$br"; echo "LAB_SUBNET=10.$x.0.0/24"; echo "LAB_GATEWAY=$gw"
    echo "LAB_NODES=$NODES"; echo "LAB_NFT=klab_$ID"; echo "LAB_FORWARD_BEFORE=$(cat /proc/sys/net/ipv4/ip_forward)"
    for i in $(seq 1 "$NODES"); do
      echo "NODE_${i}_NAME=lab-$i"; echo "NODE_${i}_NS=klab-$ID-$i"
      echo "NODE_${i}_ADDR=10.$x.0.$((10 + i))"; echo "NODE_${i}_VETH=kv${ID}h$i"
    done
  } > "$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
  . "$STATE"

  ip link add "$br" type bridge
  ip addr add "$gw/24" dev "$br"
  ip link set "$br" up
  sysctl -qw net.ipv4.ip_forward=1
  # Accept forwarding to/from the lab bridge even if another firewall's forward policy drops.
  nft -f - <<EOF
table inet $LAB_NFT {
  chain forward { type filter hook forward priority -10; policy accept;
    iifname "$br" accept
    oifname "$br" accept
  }
}
EOF
  for i in $(seq 1 "$NODES"); do
    local ns=klab-$ID-$i veth=kv${ID}h$i peer=kv${ID}p$i addr=10.$x.0.$((10 + i))
    ip netns add "$ns"
    ip link add "$veth" type veth peer name "$peer"
    ip link set "$peer" netns "$ns"
    ip link set "$veth" master "$br"
    ip link set "$veth" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set "$peer" name eth0
    ip -n "$ns" addr add "$addr/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" route add default via "$gw"
    ip netns exec "$ns" sysctl -qw net.ipv4.ip_forward=1
  done
  say "lab $ID up: bridge $br $gw/24, hosts:"
  print_state
}

print_state() {
  echo "bridge $LAB_BRIDGE $LAB_GATEWAY"
  local i
  for i in $(seq 1 "$LAB_NODES"); do
    eval "echo lab-$i \$NODE_${i}_NS \$NODE_${i}_ADDR"
  done
}

# Read each node's pod CIDR (assigned by the api-server on registration), record it in the state
# and route it via the node's address, on the host and inside every other lab host, so pods on
# different hosts reach each other. Waits up to $LAB_ROUTES_WAIT s (default 60) for every lab-N
# to have a pod CIDR; refuses two hosts with one range (their pods could not be told apart).
lab_routes() {
  need_root; load_state
  local i cidr wait=${LAB_ROUTES_WAIT:-60} deadline got missing dup
  deadline=$(( $(date +%s) + wait ))
  while :; do
    got=$(KUBECONFIG=$KCFG timeout 30 kubectl get nodes \
      -o jsonpath='{range .items[*]}{.metadata.name} {.spec.podCIDR}{"\n"}{end}' 2>/dev/null || true)
    missing=""
    for i in $(seq 1 "$LAB_NODES"); do
      cidr=$(awk -v n="lab-$i" '$1 == n {print $2}' <<<"$got")
      [ -n "$cidr" ] || missing="$missing lab-$i"
      eval "CIDR_$i=\$cidr"
    done
    [ -z "$missing" ] && break
    [ "$(date +%s)" -lt "$deadline" ] || die "no spec.podCIDR after ${wait}s on:$missing (is the api-server at $KCFG up, did the agents register?)"
    sleep 1
  done
  dup=$(for i in $(seq 1 "$LAB_NODES"); do eval "echo \$CIDR_$i lab-$i"; done | sort | awk '
    $1 == prev { printf "%s and %s both have %s; ", pn, $2, $1 } { prev = $1; pn = $2 }')
  [ -z "$dup" ] || die "${dup}pods on those hosts cannot reach each other (the api-server handed out a range twice); no routes changed"
  for i in $(seq 1 "$LAB_NODES"); do
    eval "cidr=\$CIDR_$i"
    set_state "NODE_${i}_PODCIDR" "$cidr"
  done
  . "$STATE"
  apply_routes
}

# KEY=VALUE in the state file, replacing an earlier value.
set_state() {
  { grep -v "^$1=" "$STATE" || true; echo "$1=$2"; } > "$STATE.tmp"
  mv "$STATE.tmp" "$STATE"
}

# Routes for the pod CIDRs recorded in the state (idempotent; `heal` re-applies them).
apply_routes() {
  local i j cidr addr ns cur
  for i in $(seq 1 "$LAB_NODES"); do
    eval "addr=\$NODE_${i}_ADDR; cidr=\${NODE_${i}_PODCIDR:-}"
    [ -n "$cidr" ] || continue
    for j in $(seq 1 "$LAB_NODES"); do
      [ "$j" = "$i" ] && continue
      eval "ns=\$NODE_${j}_NS"
      ip -n "$ns" route replace "$cidr" via "$addr" dev eth0
    done
    # On the host (host -> pod traffic only): never take over a route someone else owns, such as
    # another cluster's pod bridge or another lab that was handed the same range.
    cur=$(ip -4 route show exact "$cidr" 2>/dev/null || true)
    if [ -z "$cur" ] || grep -q "dev $LAB_BRIDGE" <<<"$cur"; then
      ip route replace "$cidr" via "$addr" dev "$LAB_BRIDGE"
      say "route $cidr via $addr (lab-$i)"
    else
      say "route $cidr via $addr (lab-$i) inside the lab hosts; not on this machine, where $cidr is already routed: $cur"
    fi
  done
}

# Pod routes as they are in each host's namespace, compared with the recorded pod CIDRs.
routes_status() {
  local i j cidr addr ns bad=0
  [ "$(id -u)" = 0 ] || { echo "(pod routes inside the hosts: only root can look)"; return 0; }
  for j in $(seq 1 "$LAB_NODES"); do
    eval "ns=\$NODE_${j}_NS"
    local line="lab-$j pod-cidr=$(eval "echo \${NODE_${j}_PODCIDR:--}") routes:"
    for i in $(seq 1 "$LAB_NODES"); do
      [ "$i" = "$j" ] && continue
      eval "addr=\$NODE_${i}_ADDR; cidr=\${NODE_${i}_PODCIDR:-}"
      [ -n "$cidr" ] || continue
      if ip -n "$ns" -4 route show exact "$cidr" 2>/dev/null | grep -q "via $addr "; then
        line="$line lab-$i=ok"
      else
        line="$line lab-$i=MISSING"; bad=1
      fi
    done
    echo "$line"
  done
  [ "$bad" = 0 ] || echo "some pod routes are missing; re-apply them with: ./keelson lab routes --dir $DIR (or lab.sh routes --dir $DIR)"
}

lab_exec() {
  need_root; load_state
  [ ${#ARGS[@]} -ge 1 ] || die "usage: lab.sh exec --dir DIR N -- CMD..."
  local n; n=$(node_index "${ARGS[0]}")
  local rest=("${ARGS[@]:1}")
  [ "${rest[0]:-}" = "--" ] && rest=("${rest[@]:1}")
  [ ${#rest[@]} -ge 1 ] || die "usage: lab.sh exec --dir DIR N -- CMD..."
  local ns; eval "ns=\$NODE_${n}_NS"
  # nsenter switches only the network namespace. `ip netns exec` also remounts /sys for the
  # namespace, which hides /sys/fs/cgroup from the agent (runc then has no cgroup controllers).
  if command -v nsenter >/dev/null; then
    exec nsenter --net="/run/netns/$ns" -- "${rest[@]}"
  fi
  exec ip netns exec "$ns" "${rest[@]}"
}

lab_addr() {
  load_state
  [ ${#ARGS[@]} -ge 1 ] || die "usage: lab.sh addr --dir DIR N|gateway"
  if [ "${ARGS[0]}" = gateway ] || [ "${ARGS[0]}" = bridge ]; then echo "$LAB_GATEWAY"; return; fi
  local n; n=$(node_index "${ARGS[0]}"); eval "echo \$NODE_${n}_ADDR"
}

lab_link() { # partition|heal
  need_root; load_state
  [ ${#ARGS[@]} -ge 1 ] || die "usage: lab.sh $1 --dir DIR NODE"
  local n veth; n=$(node_index "${ARGS[0]}"); eval "veth=\$NODE_${n}_VETH"
  if [ "$1" = partition ]; then
    ip link set "$veth" down
    say "lab-$n partitioned (link $veth down)"
  else
    ip link set "$veth" up
    apply_routes >/dev/null 2>&1 || say "lab-$n: re-applying pod routes failed"
    say "lab-$n healed (link $veth up)"
  fi
}

lab_status() {
  load_state; print_state
  local i ns veth
  for i in $(seq 1 "$LAB_NODES"); do
    eval "ns=\$NODE_${i}_NS; veth=\$NODE_${i}_VETH"
    local st; st=$(ip -br link show "$veth" 2>/dev/null | awk '{print $2}'); st=${st:-missing}
    local procs; procs=$(ip netns pids "$ns" 2>/dev/null | wc -l)
    echo "lab-$i link=$st processes=$procs"
  done
  routes_status
}

# Kill every process inside a namespace: TERM, up to 10 s grace, then KILL.
kill_ns_processes() {
  local ns=$1 pids t
  pids=$(ip netns pids "$ns" 2>/dev/null || true)
  [ -n "$pids" ] || return 0
  kill -TERM $pids 2>/dev/null || true
  for t in $(seq 1 20); do
    pids=$(ip netns pids "$ns" 2>/dev/null || true)
    [ -n "$pids" ] || return 0
    sleep 0.5
  done
  kill -KILL $pids 2>/dev/null || true
  sleep 0.5
}

lab_down() {
  need_root
  [ -f "$STATE" ] || { say "no lab in $DIR"; return 0; }
  . "$STATE"
  local i ns veth cidr
  for i in $(seq 1 "$LAB_NODES"); do
    eval "ns=\$NODE_${i}_NS"
    kill_ns_processes "$ns"
  done
  for i in $(seq 1 "$LAB_NODES"); do
    eval "ns=\$NODE_${i}_NS; veth=\$NODE_${i}_VETH; cidr=\${NODE_${i}_PODCIDR:-}; addr=\$NODE_${i}_ADDR"
    [ -n "$cidr" ] && ip route del "$cidr" via "$addr" dev "$LAB_BRIDGE" 2>/dev/null || true
    ip link del "$veth" 2>/dev/null || true
    ip netns del "$ns" 2>/dev/null || true
  done
  ip link del "$LAB_BRIDGE" 2>/dev/null || true
  nft delete table inet "$LAB_NFT" 2>/dev/null || true
  # Restore forwarding only if we turned it on and no other lab is still up.
  if [ "${LAB_FORWARD_BEFORE:-1}" = 0 ] && ! ip -br link show type bridge 2>/dev/null | grep -q '^klab0-'; then
    sysctl -qw net.ipv4.ip_forward=0
  fi
  rm -f "$STATE"
  say "lab $LAB_ID down"
}

case "$CMD" in
  up) lab_up ;;
  routes) lab_routes ;;
  exec) lab_exec ;;
  addr) lab_addr ;;
  partition|heal) lab_link "$CMD" ;;
  status) lab_status ;;
  down) lab_down ;;
  -h|--help|help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' ;;
  *) die "unknown command '$CMD' (up|routes|exec|addr|partition|heal|status|down)" ;;
esac
