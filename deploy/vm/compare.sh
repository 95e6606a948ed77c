#!/usr/bin/env bash
# Containers vs VMs on this machine: the same busybox workload started as a runc container and as a
# qemu VM (driver level, one at a time), compared on `uname -r` inside, start latency and host memory.
#
#   deploy/vm/compare.sh [RUNS]        (default 5; needs root, runc, qemu; run from the repo root)
#
# Prepares the guest kernel into $KEELSON_VM_DIR (default ~/.keelson/vm) if needed, runs the
# ContainerVsVmBenchmark in node-agent and prints the Markdown table (also left in
# node-agent/target/benchmarks/containers-vs-vms.md) that docs/benchmarks.md quotes.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
runs="${1:-5}"
case "$runs" in -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac
for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  if [ -n "$c" ] && [ -x "$c/bin/java" ] && "$c/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; then export JAVA_HOME="$c"; break; fi
done
[ -n "${JAVA_HOME:-}" ] || { echo "compare: no JDK >= 21 found (set JAVA_HOME)" >&2; exit 1; }
"$root/deploy/vm/prepare.sh" >/dev/null
cd "$root"
flock /tmp/keelson-build-node-agent.lock mvn -B -q -pl node-agent test -Dtest=ContainerVsVmBenchmark \
  -Dsurefire.failIfNoSpecifiedTests=false -Dkeelson.bench.runs="$runs" -DargLine="-Dkeelson.bench.runs=$runs --enable-native-access=ALL-UNNAMED" >/dev/null 2>&1 \
  || { echo "compare: benchmark failed, see node-agent/target/surefire-reports/*ContainerVsVmBenchmark*" >&2; exit 1; }
cat node-agent/target/benchmarks/containers-vs-vms.md
