#!/usr/bin/env bash
# Node-agent benchmark: agent-side pod start latency vs plain `runc run` of the same bundle, and the
# agent's memory with many pods.
#
#   [AGENT_JAR=...] [TMPDIR=...] deploy/bench/agent.sh [--pods 100] [--mem-pods 200] [--network-pool 2] [--api-port 18443] [--write-docs] [--keep]
#
# Starts its own cluster in /tmp/bench-agent-XXXXXX (etcd + api-server, no scheduler: pods are bound
# with spec.nodeName) and one real node agent (runc driver, CNI pod network) with --metrics-port.
#  1. Start latency: creates a warm-up pod (reported apart), then --pods busybox `sleep` pods one at
#     a time; each pod's agent-side start
#     (its assignment arriving on the WatchPodAssignments stream -> the agent's first Running status)
#     is the increase of keelson_agent_pod_start_seconds_sum, split by phase. Interleaved with them,
#     the same OCI bundle as the first pod's container (its config.json minus the agent's network
#     gate hook, a fresh overlay rootfs over the same image layers, a cgroup of its own) is started
#     with plain `runc run -d` and removed. Before each plain run the agent is let settle: its pool of
#     pod networks set up ahead of pods (--network-pool, the agent's default 2; 0 = off) is refilled
#     (at most 2 s), so that neither side runs beside the other's background work.
#  2. Memory: the agent's VmRSS and JVM heap (used after a full GC, committed) with 0 pods, then with
#     --mem-pods pods in all (the missing ones created by one kubectl create; their start latencies
#     are printed too).
# Then deletes the pods, tears the cluster down (`keelson down --purge`) and checks that no runc
# container, cgroup or mount of the run is left. --write-docs replaces the "node-agent" section of
# docs/benchmarks.md with the numbers; --keep leaves the cluster running.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
PODS=100 MEM_PODS=200 PORT=18443 WRITE=0 KEEP=0 POOL=2
while [ $# -gt 0 ]; do case $1 in
  --pods) PODS=$2; shift 2 ;; --mem-pods) MEM_PODS=$2; shift 2 ;; --api-port) PORT=$2; shift 2 ;; --network-pool) POOL=$2; shift 2 ;;
  --write-docs) WRITE=1; shift ;; --keep) KEEP=1; shift ;;
  -h|--help) awk 'NR > 1 && /^#/ {sub(/^# ?/, ""); print; next} NR > 1 {exit}' "$0"; exit 0 ;; *) echo "unknown flag $1 (see --help)" >&2; exit 2 ;; esac; done
[ "$(id -u)" = 0 ] || { echo "agent.sh: needs root (runc, mounts, pod networks)" >&2; exit 1; }
[ "$MEM_PODS" -gt "$PODS" ] || { echo "agent.sh: --mem-pods must be > --pods (the warm-up pod counts too)" >&2; exit 2; }
JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
JAVA=$JAVA_HOME/bin/java
JAR=${AGENT_JAR:-$ROOT/node-agent/target/keelson-node-agent.jar} # AGENT_JAR: e.g. a jar built from a clean checkout
[ -f "$JAR" ] || { echo "agent.sh: build first: flock /tmp/keelson-build-node-agent.lock mvn -B -q -pl node-agent install -DskipTests" >&2; exit 1; }
DIR=$(mktemp -d "${TMPDIR:-/tmp}/bench-agent-XXXXXX") # TMPDIR: where the cluster dir goes
NODE=bench-agent-$PORT          # own name, for the bench's pod labels and files
SD=$DIR/nodes/$NODE
MPORT=$((PORT + 40))
RAW=$DIR/raw                    # bundles and runc root of the plain-runc runs
export KUBECONFIG=$DIR/kubeconfig
log() { echo "== $*" >&2; }
# The launcher read into memory first: bash reads scripts as it goes, and ./keelson may be edited meanwhile.
launcher() { bash -c "$(cat "$ROOT/keelson")" "$ROOT/keelson" "$@"; }

raw_cleanup() {
  local id
  for id in $(runc --root "$RAW/runc" list -q 2>/dev/null); do
    runc --root "$RAW/runc" kill "$id" KILL >/dev/null 2>&1 || true
    runc --root "$RAW/runc" delete --force "$id" >/dev/null 2>&1 || true
  done
  awk -v s="$RAW/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  local d; for d in /sys/fs/cgroup/*/keelson-bench-$PORT; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null; done
  true
}
teardown() {
  raw_cleanup
  if [ "$KEEP" = 1 ]; then echo "cluster kept: $DIR (./keelson down --dir $DIR --purge)" >&2; return; fi
  launcher down --dir "$DIR" --purge >/dev/null 2>&1 || true
}
trap teardown EXIT

log "cluster in $DIR (api-server :$PORT, agent metrics :$MPORT)"
KEELSON_NO_BUILD=1 timeout 600 bash -c "$(cat "$ROOT/keelson")" "$ROOT/keelson" up --dir "$DIR" --api-port "$PORT" --nodes 0 \
  --without scheduler,controller-manager >"$DIR/up.log" 2>&1 || { tail -5 "$DIR/up.log"; exit 1; }
mkdir -p "$DIR/images/preload" "$SD" "$DIR/lib" "$DIR/run" "$DIR/logs"
"$ROOT/deploy/images/build-busybox.sh" --out "$DIR/images/preload/busybox" >"$DIR/logs/images.log" 2>&1
# The agent as `keelson up` starts it (same heap limit), plus --metrics-port; its pid file and jar copy
# where `keelson down` finds them, so that down stops it and removes its pods.
cp "$JAR" "$DIR/lib/keelson-node-agent.jar"
POOL_ARGS=()  # agents before the network pool have no --network-pool
"$JAVA" -jar "$DIR/lib/keelson-node-agent.jar" --help 2>&1 | grep -q -- --network-pool && POOL_ARGS=(--network-pool "$POOL") || POOL=0
setsid "$JAVA" -Xmx512m --enable-native-access=ALL-UNNAMED -jar "$DIR/lib/keelson-node-agent.jar" \
  --kubeconfig "$KUBECONFIG" --node-name "$NODE" --state-dir "$SD" --port $((PORT + 21)) --address 127.0.0.1 \
  --images-dir "$DIR/images" --metrics-port "$MPORT" "${POOL_ARGS[@]}" >>"$DIR/logs/agent-$NODE.log" 2>&1 </dev/null &
AGENT=$!
echo "$AGENT" >"$DIR/run/agent-$NODE.pid"
for _ in $(seq 1 600); do
  kubectl get node "$NODE" -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null | grep -q True && break
  kill -0 "$AGENT" 2>/dev/null || { tail -5 "$DIR/logs/agent-$NODE.log"; echo "agent exited" >&2; exit 1; }
  sleep 0.5
done
kubectl get node "$NODE" >/dev/null

metrics() { curl -sf --max-time 10 "http://127.0.0.1:$MPORT/metrics"; }
# started count, total seconds, then "phase=seconds" pairs
starts() { metrics | awk '
  /^keelson_agent_pod_start_seconds_count / {c=$2} /^keelson_agent_pod_start_seconds_sum / {s=$2}
  /^keelson_agent_pod_start_phase_seconds_sum\{/ {match($0, /phase="[a-z]+"/); p[substr($0, RSTART+7, RLENGTH-8)]=$2}
  END {printf "%d %.9f", c, s; for (k in p) printf " %s=%.9f", k, p[k]; print ""}'; }
pool_settle() { # until the agent's pool of pod networks is full again (at most 2 s)
  local i
  [ "$POOL" -gt 0 ] || return 0
  for i in $(seq 1 40); do
    [ "$(metrics | awk '/^keelson_agent_network_pool_ready / {printf "%d", $2}')" -ge "$POOL" ] 2>/dev/null && return 0
    sleep 0.05
  done
}
rss_kib() { awk '/^VmRSS:/ {print $2}' "/proc/$AGENT/status"; }
heap_mib() { # JVM heap in use after a full GC, and the heap the JVM holds (committed)
  "$JAVA_HOME/bin/jcmd" "$AGENT" GC.run >/dev/null 2>&1 || true
  metrics | awk 'index($0, "jvm_memory_used_bytes{area=\"heap\"") == 1 {u += $NF}
    index($0, "jvm_memory_committed_bytes{area=\"heap\"") == 1 {c += $NF} END {printf "%.1f/%.1f", u/1048576, c/1048576}'; }
pod_yaml() { # name
  cat <<Y
---
apiVersion: v1
kind: Pod
metadata: {name: $1, labels: {bench: agent}}
spec:
  nodeName: $NODE
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: "keelson.local/busybox:latest", imagePullPolicy: IfNotPresent, command: ["sleep", "3600"]}]
Y
}
wait_started() { # count timeout-seconds
  local deadline=$(( $(date +%s) + $2 )) n
  while :; do
    n=$(starts | cut -d' ' -f1)
    [ "${n:-0}" -ge "$1" ] && return 0
    [ "$(date +%s)" -lt "$deadline" ] || { echo "timeout: $n/$1 pods Running on the agent" >&2; kubectl get pods -o wide | tail -5 >&2; return 1; }
    sleep 0.05
  done
}

sleep 5 # let registration settle before the idle reading
LOAD0=$(cut -d' ' -f1 /proc/loadavg)
RSS0=$(rss_kib); HEAP0=$(heap_mib)
log "agent idle: RSS $((RSS0 / 1024)) MiB, heap used/committed after GC $HEAP0 MiB, load $LOAD0"

# ---- 1. start latency, one pod at a time, interleaved with plain runc runs of the same bundle
mkdir -p "$RAW/runc"
: >"$DIR/agent.tsv"; : >"$DIR/raw.tsv"
LOWER="" TEMPLATE=""
# i = 0 is the warm-up (first use of the image, cold JIT): timed, reported apart, not in the percentiles
for i in $(seq 0 "$PODS"); do
  prev=$(starts)
  pod_yaml "seq-$i" | kubectl create -f - >/dev/null
  wait_started "$((i + 1))" 120
  now=$(starts)
  python3 - "$prev" "$now" >>"$DIR/agent.tsv" <<'PY'
import sys
def parse(s):
    f = s.split(); d = {"total": float(f[1])}
    d.update({k: float(v) for k, v in (x.split("=") for x in f[2:])}); return d
a, b = parse(sys.argv[1]), parse(sys.argv[2])
order = ["total", "queued", "network", "sandbox", "image", "container", "status"]
print("\t".join("%.3f" % ((b.get(k, 0) - a.get(k, 0)) * 1000) for k in order))
PY
  if [ -z "$TEMPLATE" ]; then
    # the first pod's container bundle: config.json + the image layers under its overlay rootfs, which
    # runc mounts itself (an overlay mount on "/" in config.json) or, with agents before that, the agent
    # mounted on the host (then this script mounts it too, outside the timed `runc run`)
    uid=$(kubectl get pod seq-0 -o jsonpath='{.metadata.uid}')
    BUNDLE=$(ls -d "$SD"/runc/tasks/"$uid"-c-0)
    TEMPLATE=$RAW/config.template.json
    LOWER=$(python3 - "$BUNDLE/config.json" "$TEMPLATE" "$PORT" <<'PY'
import json, sys
spec = json.load(open(sys.argv[1]))
# the same container (process, mounts, namespaces incl. the pod's netns/ipc, limits); only its own cgroup
spec["linux"]["cgroupsPath"] = "/keelson-bench-%s/ID" % sys.argv[3]
spec["root"]["path"] = "rootfs"  # the bundle's own overlay, not the pod's
spec.pop("hooks", None)          # the agent's gate holding the process until the pod network is ready
m = spec["mounts"][0]
if m["destination"] == "/" and m["type"] == "overlay":
    opts = dict(o.split("=", 1) for o in m["options"][0].split(","))
    m["options"] = ["lowerdir=%s,upperdir=BUNDLE/upper,workdir=BUNDLE/work" % opts["lowerdir"]]
    print("runc")
json.dump(spec, open(sys.argv[2], "w"))
PY
)
    if [ "$LOWER" = runc ]; then
      HOSTMOUNT=0
    else
      HOSTMOUNT=1
      LOWER=$(awk -v m="$BUNDLE/rootfs" '$5 == m {for (i = 1; i <= NF; i++) if ($i == "-") {print $(i + 3); exit}}' /proc/self/mountinfo \
        | tr ',' '\n' | sed -n 's/^lowerdir=//p')
      [ -n "$LOWER" ] || { echo "agent.sh: no overlay rootfs at $BUNDLE/rootfs" >&2; exit 1; }
    fi
    log "plain runc uses the bundle of pod seq-0 ($BUNDLE), overlay rootfs mounted by $([ $HOSTMOUNT = 1 ] && echo "mount(8), untimed" || echo runc)"
  fi
  pool_settle
  b=$RAW/b$i; id=raw-$i
  mkdir -p "$b/upper" "$b/work" "$b/rootfs"
  sed -e "s|/ID\"|/$id\"|" -e "s|BUNDLE/|$b/|g" "$TEMPLATE" >"$b/config.json"
  t0=$(date +%s%N)
  [ "$HOSTMOUNT" = 0 ] || mount -t overlay overlay -o "lowerdir=$LOWER,upperdir=$b/upper,workdir=$b/work" "$b/rootfs"
  t1=$(date +%s%N)
  runc --root "$RAW/runc" run -d --bundle "$b" "$id" </dev/null >/dev/null 2>"$b/runc.err" || { cat "$b/runc.err" >&2; exit 1; }
  t2=$(date +%s%N)
  [ "$(runc --root "$RAW/runc" state "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])')" = running ] \
    || { echo "agent.sh: $id is not running" >&2; exit 1; }
  printf '%.3f\t%.3f\n' "$(echo "($t2 - $t1) / 1000000" | bc -l)" "$(echo "($t2 - $t0) / 1000000" | bc -l)" >>"$DIR/raw.tsv"
  runc --root "$RAW/runc" kill "$id" KILL >/dev/null 2>&1 || true
  runc --root "$RAW/runc" delete --force "$id" >/dev/null 2>&1
  { [ "$HOSTMOUNT" = 0 ] || umount "$b/rootfs"; } && rm -rf "$b"
  [ $((i % 10)) = 0 ] && log "$i/$PODS pods"
done
LOAD1=$(cut -d' ' -f1 /proc/loadavg)
raw_cleanup

# ---- 2. memory with MEM_PODS pods (the rest created at once)
BURST=$((MEM_PODS - PODS - 1)) # seq-0 .. seq-PODS run already
if [ "$BURST" -gt 0 ]; then
  for i in $(seq 1 "$BURST"); do pod_yaml "burst-$i"; done >"$DIR/burst.yaml"
  tb0=$(date +%s%N)
  kubectl create -f "$DIR/burst.yaml" >/dev/null
  wait_started "$MEM_PODS" 900
  tb1=$(date +%s%N)
  BURST_S=$(echo "($tb1 - $tb0) / 1000000000" | bc -l)
fi
sleep 5
RSSN=$(rss_kib); HEAPN=$(heap_mib)
LOAD2=$(cut -d' ' -f1 /proc/loadavg)
running=$(runc --root "$SD/runc/runc" list -q 2>/dev/null | wc -l || true)
log "agent with $MEM_PODS pods ($running runc containers): RSS $((RSSN / 1024)) MiB, heap used/committed after GC $HEAPN MiB"
grep -o 'pod default/burst-[0-9]* Running [0-9]* ms' "$DIR/logs/agent-$NODE.log" | awk '{print $4}' >"$DIR/burst.ms" || true

# ---- summary
python3 - "$DIR" "$PODS" "$MEM_PODS" "$BURST" "${BURST_S:-0}" "$RSS0" "$HEAP0" "$RSSN" "$HEAPN" "$LOAD0" "$LOAD1" "$LOAD2" "$running" "$(nproc)" "$(runc --version | head -1)" "$HOSTMOUNT" <<'PY' >"$DIR/result.md"
import sys, statistics
d, pods, mem_pods, burst, burst_s, rss0, heap0, rssn, heapn, l0, l1, l2, running, cpus, runcv, hostmount = sys.argv[1:17]
pods, mem_pods, burst, running = int(pods), int(mem_pods), int(burst), int(running)
def pct(xs, p):
    xs = sorted(xs); k = (len(xs) - 1) * p / 100; f = int(k); c = min(f + 1, len(xs) - 1)
    return xs[f] + (xs[c] - xs[f]) * (k - f)
agent = [list(map(float, l.split("\t"))) for l in open(d + "/agent.tsv") if l.strip()]
raw = [list(map(float, l.split("\t"))) for l in open(d + "/raw.tsv") if l.strip()]
(warm, agent), (raw_warm, raw) = (agent[0], agent[1:]), (raw[0], raw[1:])
total = [a[0] for a in agent]; run = [r[0] for r in raw]; mountrun = [r[1] for r in raw]
names = ["queued", "network", "sandbox", "image", "container", "status"]
print(f"Host: {cpus} CPUs, load average {l0} at the start, {l1} after the start-latency phase, {l2} with {mem_pods} pods; {runcv}.")
print()
print(f"### Start latency: {pods} pods one at a time vs plain runc, same run")
print()
print("| path | p50 | p99 | max |")
print("|---|---|---|---|")
print(f"| agent: assignment received → Running | {pct(total,50):.0f} ms | {pct(total,99):.0f} ms | {max(total):.0f} ms |")
if hostmount == "1":  # an agent that mounted the overlay rootfs on the host: the plain runs mount it beforehand
    print(f"| plain `runc run -d` of the same bundle (rootfs mounted beforehand, untimed) | {pct(run,50):.0f} ms | {pct(run,99):.0f} ms | {max(run):.0f} ms |")
    print(f"| plain overlay mount + `runc run -d` | {pct(mountrun,50):.0f} ms | {pct(mountrun,99):.0f} ms | {max(mountrun):.0f} ms |")
else:
    print(f"| plain `runc run -d` of the same bundle (runc mounts its overlay rootfs) | {pct(run,50):.0f} ms | {pct(run,99):.0f} ms | {max(run):.0f} ms |")
print()
print(f"Warm-up before these (not in the percentiles): the first pod {warm[0]:.0f} ms (image {warm[4]:.0f} ms: first use of the preloaded image; cold JIT), plain runc {raw_warm[0]:.0f} ms.")
print()
print(f"**Agent / plain runc: {pct(total,50)/pct(run,50):.2f}× at p50, {pct(total,99)/pct(run,99):.2f}× at p99** (goal: within 2×).")
print()
print("Where the agent's time went (median of each phase over the same pods, ms; each pod's phases add up to its total):")
print()
print("| " + " | ".join(names) + " |")
print("|" + "---|" * len(names))
print("| " + " | ".join(f"{statistics.median([a[i+1] for a in agent]):.1f}" for i in range(len(names))) + " |")
print()
print(f"### Memory with {mem_pods} pods")
print()
if burst:
    b = [float(x) for x in open(d + "/burst.ms") if x.strip()]
    extra = f", each started p50 {pct(b,50):.0f} ms / p99 {pct(b,99):.0f} ms after its assignment" if b else ""
    print(f"The last {burst} pods were created with one `kubectl create` (which posts them one after another, ~10/s); all {mem_pods} were Running on the agent {float(burst_s):.1f} s after the create began{extra}.")
    print()
r0, rn = int(rss0) / 1024, int(rssn) / 1024
(h0, c0), (hn, cn) = (map(float, heap0.split("/")), map(float, heapn.split("/")))
print("| agent process | RSS (VmRSS) | JVM heap used after a full GC | JVM heap committed |")
print("|---|---|---|---|")
print(f"| 0 pods | {r0:.0f} MiB | {h0:.1f} MiB | {c0:.1f} MiB |")
print(f"| {mem_pods} pods ({running} runc containers) | {rn:.0f} MiB | {hn:.1f} MiB | {cn:.1f} MiB |")
print()
print(f"That is {(rn - r0) * 1024 / mem_pods:.0f} KiB of agent RSS and {(hn - h0) * 1024 / mem_pods:.0f} KiB of live heap per pod (`-Xmx512m`, as `keelson up` runs agents). The containers themselves (busybox `sleep` + its monitor) are not in these figures.")
PY
cat "$DIR/result.md"
RESULT=$(mktemp /tmp/bench-agent-result.XXXXXX)
cp "$DIR/result.md" "$RESULT"

# ---- teardown and leftovers check
log "deleting pods"
UIDS=$(kubectl get pods -l bench=agent -o jsonpath='{.items[*].metadata.uid}' 2>/dev/null || true)
td0=$(date +%s)
kubectl delete pods -l bench=agent --wait=false >"$DIR/logs/delete.log" 2>&1 || log "kubectl delete failed: $(tail -3 "$DIR/logs/delete.log")"
# until every container is gone and the agent has confirmed every pod's termination (at most 3 min)
containers_gone="" pods_gone=""
for _ in $(seq 1 360); do
  [ -n "$containers_gone" ] || [ "$(runc --root "$SD/runc/runc" list -q 2>/dev/null | wc -l)" != 0 ] || containers_gone=$(( $(date +%s) - td0 ))
  [ -n "$pods_gone" ] || [ "$(kubectl get pods -l bench=agent --no-headers 2>/dev/null | wc -l)" != 0 ] || pods_gone=$(( $(date +%s) - td0 ))
  [ -n "$containers_gone" ] && [ -n "$pods_gone" ] && break
  sleep 0.5
done
left_containers=$(runc --root "$SD/runc/runc" list -q 2>/dev/null | wc -l || true)
left_pods=$(kubectl get pods -l bench=agent --no-headers 2>/dev/null | wc -l || true)
log "after kubectl delete: containers gone in ${containers_gone:-(not all: $left_containers left)} s, pods gone from the API in ${pods_gone:-(not all: $left_pods left)} s"
[ "$left_containers$left_pods" = 00 ] || kubectl get pods -l bench=agent -o wide 2>&1 | head -5 >&2
[ "$KEEP" = 1 ] && { rm -f "$RESULT"; exit 0; }
# the agent names its bridge by node and network state dir (CniNetwork.bridgeHash): computed while the dir exists
BRIDGE=kb-$(printf %s "$NODE@$(cd "$SD/network" 2>/dev/null && pwd -P)" | sha256sum | cut -c1-8)
launcher down --dir "$DIR" --purge >/dev/null 2>&1 || true
trap - EXIT
left_mounts=$(awk -v s="$DIR/" 'index($5, s) == 1' /proc/self/mountinfo | wc -l || true)
left_cgroups=0
for u in $UIDS; do left_cgroups=$((left_cgroups + $(ls -d /sys/fs/cgroup/*/keelson/"$u" 2>/dev/null | wc -l || true))); done
left_cgroups=$((left_cgroups + $(ls -d /sys/fs/cgroup/*/keelson-bench-"$PORT" 2>/dev/null | wc -l || true)))
left_procs=$(pgrep -fc "$DIR/" || true)
left_bridge=$(ip -o link show dev "$BRIDGE" 2>/dev/null | wc -l || true)
echo "left behind: runc containers $left_containers (after the pods' deletion), mounts $left_mounts, pod/bench cgroups $left_cgroups, processes $left_procs, pod bridge $left_bridge" >&2
printf '\nDeleting the %s pods (`kubectl delete pods -l bench=agent`, grace 1 s): their containers were gone after %s s, the pods (termination confirmed by the agent) after %s s; left when the wait ended (at most 3 min): %s runc containers, %s pods. Left behind after `keelson down --purge`: %s mounts, %s pod cgroups, %s processes, %s pod bridges.\n' \
  "$MEM_PODS" "${containers_gone:-(not all)}" "${pods_gone:-(not all)}" "$left_containers" "$left_pods" "$left_mounts" "$left_cgroups" "$left_procs" "$left_bridge" >>"$RESULT"

if [ "$WRITE" = 1 ]; then
  python3 - "$ROOT/docs/benchmarks.md" "$RESULT" "$PODS" "$MEM_PODS" <<'PY'
import sys, os, datetime
path, result, pods, mem_pods = sys.argv[1:5]
begin = "<!-- BEGIN section: node-agent (owner: node-agent, deploy/bench/agent.sh) -->"
end = "<!-- END section: node-agent -->"
body = f"""{begin}
## Node agent

One real node agent (runc driver, CNI bridge network, `-Xmx512m` as `keelson up` runs it) with etcd
and the api-server (`./keelson up --nodes 0 --without scheduler,controller-manager`; pods are bound
with `spec.nodeName`), all on this project's 2-core development machine, shared with other
engineers' builds and clusters: absolute times are noisy, the agent / plain-runc ratio measured in
the same run is the figure to compare.

Reproduce (root, from the repo root, node-agent jar built):
`deploy/bench/agent.sh --pods {pods} --mem-pods {mem_pods} --write-docs`

*Agent-side start* is the agent's own metric `keelson_agent_pod_start_seconds` (served with
`--metrics-port`): from the pod's assignment arriving on the WatchPodAssignments stream to the first
status the agent computes with phase Running (handed to the status stream, which sends it at once
after a quiet spell and coalesces bursts for up to 20 ms); `keelson_agent_pod_start_phase_seconds{{phase}}` splits it. The pods are busybox
`sleep 3600` (`keelson.local/busybox:latest`, preloaded, `imagePullPolicy: IfNotPresent`), created
one at a time. *Plain runc* starts the first pod's container bundle again (its `config.json`, joining
the same pod network and IPC namespaces, with a fresh overlay rootfs over the same image layers —
mounted by runc from the same `config.json` entry, as for the agent's containers — and a cgroup of
its own; without the agent's hook that holds a container's process until its pod network is ready,
which a pod given a network from the agent's pool does not need either) with `runc run -d`,
interleaved with the pods so both see the same machine load, and removes it after each run; each
plain run waits until the agent's pool of pod networks set up ahead of pods is full again (at most
2 s), so that neither runs beside the other's background work.

{open(result).read().strip()}

Measured {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC.
{{findings}}{end}"""
text = open(path).read()
# hand-written findings below this heading survive a rerun (they say which run they describe)
heading = "### What the numbers say"
findings = ""
if begin in text and end in text:
    old = text[text.index(begin):text.index(end)]
    if heading in old:
        findings = "\n" + old[old.index(heading):].rstrip() + "\n"
body = body.replace("{findings}", findings)
if begin in text and end in text:
    text = text[:text.index(begin)] + body + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n" + body + "\n"
open(path, "w").write(text)
print("updated", path)
PY
fi
rm -f "$RESULT"
