#!/usr/bin/env bash
# Containers vs VMs on a running cluster: N busybox pods as runc containers and N as VMs
# (runtimeClassName vm), one pod at a time, each measured from `kubectl create` to Ready as the
# client sees it; then all pods of both kinds together while running, for memory per pod.
#
#   deploy/vm/compare-cluster.sh [N] [--namespace NS] [--gap S]   (default N=20, NS=compare; KUBECONFIG as usual)
#
# --gap S waits S seconds before creating each pod (not measured): with the agents' VM warm pool on
# (KEELSON_VM_WARM_POOL=1 ./keelson up) it lets the pool refill, so every VM pod finds a warm VM;
# without it VM pods come back to back and wait for the VM the pool is still booting.
#
# Memory per pod = the summed RSS of the host processes in the pod's cgroups (runc: the container's
# processes; VM: qemu, whose cgroup paths contain the pod uid), read from /proc on this machine, so run it on the node (e.g. after
# `./keelson up`); also their PSS (proportional set size: pages shared between processes, like a VM
# template's RAM file that restored VMs map copy-on-write, counted once in total). Prints a Markdown
# table; deletes its namespace at the end.
set -euo pipefail
n=20
ns=compare
gap=0
load0=$(cut -d' ' -f1 /proc/loadavg)
while [ $# -gt 0 ]; do
  case "$1" in
    --namespace) ns="$2"; shift 2 ;;
    --gap) gap="$2"; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) n="$1"; shift ;;
  esac
done
k() { kubectl -n "$ns" "$@"; }
kubectl create namespace "$ns" >/dev/null 2>&1 || true
trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT

pod() { # name runtimeClass
  cat <<YAML
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {app: compare}}
spec:
  runtimeClassName: $2
  terminationGracePeriodSeconds: 2
  containers:
  - name: main
    image: keelson.local/busybox:latest
    command: ["sh", "-c", "uname -r; exec sleep 3600"]
YAML
}

now_ms() { date +%s%3N; }
declare -A lat kernel
for kind in runc vm; do
  lat[$kind]=""
  for i in $(seq 1 "$n"); do
    name="$kind-$i"
    [ "$gap" = 0 ] || sleep "$gap"
    t0=$(now_ms)
    pod "$name" "$kind" | k create -f - >/dev/null
    k wait --for=condition=Ready "pod/$name" --timeout=300s >/dev/null
    lat[$kind]+="$(( $(now_ms) - t0 )) "
    [ -n "${kernel[$kind]:-}" ] || kernel[$kind]=$(k logs "$name" | head -1)
  done
done

mem_kib() { # pod uid, Rss|Pss -> KiB summed over processes whose cgroup names the pod's sandbox
  local uid=$1 field=$2 total=0 pid
  for pid in $(grep -ls -- "$uid" /proc/[0-9]*/cgroup 2>/dev/null | cut -d/ -f3); do
    total=$(( total + $(awk -v f="$field:" '$1 == f {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0) ))
  done
  echo "$total"
}
declare -A mem pss
for kind in runc vm; do
  mem[$kind]=""
  pss[$kind]=""
  for i in $(seq 1 "$n"); do
    uid=$(k get pod "$kind-$i" -o jsonpath='{.metadata.uid}')
    mem[$kind]+="$(mem_kib "$uid" Rss) "
    pss[$kind]+="$(mem_kib "$uid" Pss) "
  done
done

pct() { # p values... -> value at percentile p (nearest rank)
  local p=$1; shift
  printf '%s\n' "$@" | sort -n | awk -v p="$p" '{a[NR]=$1} END {r=int((p/100)*NR+0.999); if (r<1) r=1; print a[r]}'
}
accel=$(kubectl get nodes -o jsonpath='{.items[0].metadata.labels.keelson\.io/vm\.accel}')
gapnote=$([ "$gap" = 0 ] || echo ", ${gap} s apart")
echo "$(nproc) CPUs, load average $load0 at the start, $(cut -d' ' -f1 /proc/loadavg) at the end, VM acceleration ${accel:-?}, $n pods of each kind, created one at a time${gapnote}."
echo
echo "| | \`uname -r\` inside | start p50 | start p99 | memory per pod (p50, host RSS) | (p50, host PSS) |"
echo "|---|---|---|---|---|---|"
for kind in runc vm; do
  label=$([ "$kind" = vm ] && echo "VM (runtimeClassName: vm)" || echo "container (runc)")
  # shellcheck disable=SC2086
  printf '| %s | %s | %d ms | %d ms | %s MiB | %s MiB |\n' "$label" "${kernel[$kind]}" "$(pct 50 ${lat[$kind]})" "$(pct 99 ${lat[$kind]})" \
    "$(awk -v k="$(pct 50 ${mem[$kind]})" 'BEGIN {printf "%.1f", k / 1024}')" "$(awk -v k="$(pct 50 ${pss[$kind]})" 'BEGIN {printf "%.1f", k / 1024}')"
done
