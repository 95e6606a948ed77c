#!/usr/bin/env bash
# Controller-manager benchmark: N Deployments x R replicas on hollow nodes (pods Ready at once).
# Measures the time until every Deployment reports R available replicas and the controllers'
# reconcile throughput (from the controller-manager's Prometheus metrics).
#
#   deploy/bench/controllers.sh [--deployments 100] [--replicas 10] [--hollow-nodes 20] [--api-port 19643]
#
# Starts its own cluster in a temporary DIR (./keelson up --without controller-manager), runs the
# controller-manager itself (to read its metrics), prints one summary line, and tears down.
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
DEPLOYMENTS=100 REPLICAS=10 HOLLOW=20 PORT=19643
while [ $# -gt 0 ]; do case $1 in
  --deployments) DEPLOYMENTS=$2; shift 2 ;; --replicas) REPLICAS=$2; shift 2 ;;
  --hollow-nodes) HOLLOW=$2; shift 2 ;; --api-port) PORT=$2; shift 2 ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;; *) echo "unknown flag $1" >&2; exit 2 ;; esac; done
JAVA=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
DIR=$(mktemp -d -t keelson-bench.XXXXXX)
METRICS=$((PORT + 50))
export KUBECONFIG=$DIR/kubeconfig
cleanup() {
  [ -n "${CM_PID:-}" ] && kill "$CM_PID" 2>/dev/null || true
  "$ROOT/keelson" down --dir "$DIR" --purge >/dev/null 2>&1 || true
}
trap cleanup EXIT
"$ROOT/keelson" up --dir "$DIR" --api-port "$PORT" --nodes 0 --hollow-nodes "$HOLLOW" --without controller-manager >"$DIR/up.log" 2>&1 \
  || { tail -5 "$DIR/up.log"; echo "cluster did not start" >&2; exit 1; }
"$JAVA" -jar "$ROOT/controller-manager/target/keelson-controller-manager.jar" --kubeconfig "$KUBECONFIG" \
  --leader-elect=false --metrics-port "$METRICS" >"$DIR/controller-manager.log" 2>&1 &
CM_PID=$!
until curl -sf "http://127.0.0.1:$METRICS/metrics" 2>/dev/null | grep -q 'controller="replicaset"'; do sleep 0.5; done
sleep 2
reconciles() { curl -sf "http://127.0.0.1:$METRICS/metrics" | awk '/^keelson_controller_reconciles_total/ {s+=$2} END {printf "%d", s}'; }

manifest=$DIR/deployments.yaml
: >"$manifest"
for i in $(seq 1 "$DEPLOYMENTS"); do cat >>"$manifest" <<Y
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: bench-$i, labels: {bench: "1"}}
spec:
  replicas: $REPLICAS
  selector: {matchLabels: {app: bench-$i}}
  template:
    metadata: {labels: {app: bench-$i}}
    spec:
      nodeSelector: {keelson.io/hollow: "true"}
      containers: [{name: c, image: "keelson.local/busybox:latest", command: ["sleep", "3600"]}]
Y
done
r0=$(reconciles)
t0=$(date +%s.%N)
kubectl create -f "$manifest" >/dev/null
tc=$(date +%s.%N)
want=$DEPLOYMENTS
while :; do
  done_n=$(kubectl get deploy -l bench=1 -o jsonpath='{range .items[*]}{.status.availableReplicas}{"\n"}{end}' 2>/dev/null | grep -cx "$REPLICAS" || true)
  [ "$done_n" -ge "$want" ] && break
  now=$(date +%s)
  [ $(( now - ${t0%.*} )) -lt 900 ] || { echo "timeout: $done_n/$want deployments available" >&2; exit 1; }
  sleep 1
done
t1=$(date +%s.%N)
r1=$(reconciles)
elapsed=$(echo "$t1 - $t0" | bc -l)
pods=$(kubectl get pods -l 'app' --no-headers 2>/dev/null | wc -l)
printf 'deployments=%d replicas=%d pods=%d hollow_nodes=%d created_after=%.1fs all_available_after=%.1fs reconciles=%d reconciles_per_s=%.1f load=%s\n' \
  "$DEPLOYMENTS" "$REPLICAS" "$pods" "$HOLLOW" "$(echo "$tc - $t0" | bc -l)" "$elapsed" "$((r1 - r0))" "$(echo "($r1 - $r0) / $elapsed" | bc -l)" "$(cut -d' ' -f1 /proc/loadavg)"
curl -sf "http://127.0.0.1:$METRICS/metrics" | grep '^keelson_controller_reconciles_total' | grep -v ' 0.0$' | sed 's/^/  /'
