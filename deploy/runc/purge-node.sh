#!/usr/bin/env bash
# Removes every pod a node agent left running on this host: its runc containers (which outlive the
# agent by design), their monitors, the mounts under the agent's state dir (container rootfs
# overlays, pod IPC/network namespaces, /dev/shm tmpfs), the pods' cgroups, the node's pod
# bridge and its Service rules. For `keelson down`, tests, and hosts being decommissioned. Idempotent; needs root.
#
#   purge-node.sh --state-dir DIR [--node NAME] [--dry-run]
#
#   --state-dir DIR   the agent's --state-dir (e.g. ~/.keelson/nodes/node-1)
#   --node NAME       the node name, for its bridge kb-<sha256(NAME@DIR/network)[0:8]> (default: basename of DIR)
#   --dry-run         print what would be done
set -uo pipefail

STATE=""; NODE=""; DRY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --state-dir) STATE=$2; shift 2 ;;
    --state-dir=*) STATE=${1#--state-dir=}; shift ;;
    --node) NODE=$2; shift 2 ;;
    --node=*) NODE=${1#--node=}; shift ;;
    --dry-run) DRY=echo; shift ;;
    -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "purge-node: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$STATE" ] || { echo "purge-node: --state-dir DIR required" >&2; exit 2; }
[ -d "$STATE" ] || exit 0
STATE=$(cd "$STATE" && pwd -P)
[ -n "$NODE" ] || NODE=$(basename "$STATE")
RUNC=${RUNC:-runc}
n=0

# 1. containers: every runc root under the state dir (the runc driver keeps one at <dir>/runc/runc)
while IFS= read -r root; do
  for id in $($RUNC --root "$root" list -q 2>/dev/null); do
    $DRY $RUNC --root "$root" kill "$id" KILL >/dev/null 2>&1
    $DRY $RUNC --root "$root" delete --force "$id" >/dev/null 2>&1 && n=$((n + 1))
  done
done < <(find "$STATE" -maxdepth 4 -type d -path '*/runc/runc' 2>/dev/null)

# 2. monitors of those containers (they end by themselves once the container is gone)
for pid in $(pgrep -f "(monitor\.pl|keelson-monitor) .* $STATE/" 2>/dev/null); do $DRY kill "$pid" 2>/dev/null; done

# 3. mounts below the state dir, deepest first
awk -v s="$STATE/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r | while IFS= read -r m; do
  $DRY umount "$m" 2>/dev/null || $DRY umount -l "$m" 2>/dev/null
done

# 4. empty pod cgroups (/keelson/<sandbox>/<task> in every hierarchy); busy ones stay
for d in /sys/fs/cgroup/keelson /sys/fs/cgroup/*/keelson; do
  [ -d "$d" ] || continue
  find "$d" -mindepth 1 -depth -type d 2>/dev/null | while IFS= read -r c; do $DRY rmdir "$c" 2>/dev/null; done
done

# 5. the node's pod bridge and its Service rules (nftables table keelson-<same hash>)
# (named by node and state dir, as the agent's CniNetwork names it: two clusters' node-1 differ)
if [ -d "$STATE/network" ]; then
  H=$(printf %s "$NODE@$(cd "$STATE/network" && pwd -P)" | sha256sum | cut -c1-8)
  if ip link show dev "kb-$H" >/dev/null 2>&1; then $DRY ip link delete "kb-$H"; fi
  if command -v nft >/dev/null && nft list table ip "keelson-$H" >/dev/null 2>&1; then $DRY nft delete table ip "keelson-$H"; fi
fi
echo "purge-node: removed $n container(s) of $STATE"
