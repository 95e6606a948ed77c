#!/usr/bin/env bash
# api-server benchmark: ConfigMap creates through the API vs raw jetcd puts to the same etcd (same
# run), list of 10,000 objects (cache / consistent / paged), and 1,000 concurrent watchers' delivery
# latency. Starts etcd + the api-server alone (./keelson up --nodes 0 --without scheduler,controller-manager)
# in a temporary DIR, runs io.keelson.apiserver.bench.ApiServerBenchmark (api-server test classes), tears down.
#
#   deploy/bench/apiserver.sh [--creates 10000] [--clients 16] [--watchers 1000] [--events 20] [--watch-warmup 20] [--warmup 30000] [--api-port 19543] [--audit-policy FILE] [--build] [--write-docs [--notes FILE]] [--keep]
#
# --audit-policy FILE: the api-server's audit policy (default: deploy/audit/audit-policy.yaml, as `./keelson up`
# runs it: Metadata for every create); e.g. a policy whose one rule is `- level: None` measures without audit.
#
# --build builds the api-server first (under its build lock); --write-docs replaces the "## api-server"
# section of docs/benchmarks.md with the result (and the Markdown of --notes FILE after it, e.g. a profile's
# reading of that run). The jar and test classes are copied to a private tree first; the temporary cluster
# lives under $TMPDIR (default /tmp).
set -euo pipefail
ROOT=$(cd "$(dirname "$(readlink -f "$0")")/../.." && pwd)
CREATES=10000; CLIENTS=16; WATCHERS=1000; EVENTS=20; WATCH_WARMUP=20; WARMUP=30000; PORT=19543; WRITE=0; KEEP=0; BUILD=0; NOTES=""; AUDIT_POLICY=""
while [ $# -gt 0 ]; do case $1 in
  --creates) CREATES=$2; shift 2 ;; --clients) CLIENTS=$2; shift 2 ;; --watchers) WATCHERS=$2; shift 2 ;; --warmup) WARMUP=$2; shift 2 ;;
  --events) EVENTS=$2; shift 2 ;; --watch-warmup) WATCH_WARMUP=$2; shift 2 ;;
  --api-port) PORT=$2; shift 2 ;; --write-docs) WRITE=1; shift ;; --notes) NOTES=$(readlink -f "$2"); shift 2 ;; --keep) KEEP=1; shift ;; --build) BUILD=1; shift ;;
  --audit-policy) AUDIT_POLICY=$(readlink -f "$2"); [ -f "$AUDIT_POLICY" ] || { echo "no audit policy file $2" >&2; exit 2; }; shift 2 ;;
  -h|--help) sed -n 2,15p "$0"; exit 0 ;; *) echo "unknown flag $1" >&2; exit 2 ;; esac; done

JAVA=""
for c in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/*; do
  [ -n "$c" ] && [ -x "$c/bin/java" ] && JAVA=$c/bin/java && break; done
[ -n "$JAVA" ] || { echo "no JDK >= 21 found (set JAVA_HOME)" >&2; exit 1; }
if [ "$BUILD" = 1 ]; then
  (cd "$ROOT" && JAVA_HOME=$(dirname "$(dirname "$JAVA")") flock /tmp/keelson-build-api-server.lock \
    mvn -B -q -pl api-server install -DskipTests)
fi

DIR=$(mktemp -d "${TMPDIR:-/tmp}/keelson-bench-api.XXXXXX")
TREE=$DIR/tree
mkdir -p "$TREE/api-server/target"
cp "$ROOT/keelson" "$TREE/"; [ -d "$ROOT/deploy" ] && cp -rL "$ROOT/deploy" "$TREE/"  # -L: deploy/audit links into helm/
flock /tmp/keelson-build-api-server.lock sh -c "cp '$ROOT/api-server/target/keelson-api-server.jar' '$TREE/api-server/target/' \
  && cp -r '$ROOT/api-server/target/test-classes' '$TREE/api-server/target/'" \
  || { echo "api-server not built: run with --build (or mvn -B -q -pl api-server install -DskipTests)" >&2; exit 1; }
down() {
  if [ "$KEEP" = 1 ]; then echo "cluster kept: $DIR/cluster"; return; fi
  KEELSON_NO_BUILD=1 timeout 120 "$TREE/keelson" down --dir "$DIR/cluster" --purge >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap down EXIT

echo "== etcd + api-server ($DIR/cluster, port $PORT)"
# `up` keeps an audit policy it finds in the cluster directory
if [ -n "$AUDIT_POLICY" ]; then mkdir -p "$DIR/cluster" && cp "$AUDIT_POLICY" "$DIR/cluster/audit-policy.yaml"; echo "== audit policy $AUDIT_POLICY"; fi
KEELSON_NO_BUILD=1 timeout 600 "$TREE/keelson" up --dir "$DIR/cluster" --api-port "$PORT" --nodes 0 \
  --without scheduler,controller-manager > "$DIR/up.log" 2>&1 || { tail -5 "$DIR/up.log"; exit 1; }
LOAD=$(cut -d' ' -f1 /proc/loadavg)
ETCD_VERSION=$("$(readlink "/proc/$(cat "$DIR/cluster/run/etcd.pid")/exe")" --version 2>/dev/null | awk '/etcd Version/ {print $3}')
echo "== etcd $ETCD_VERSION"
"$JAVA" -Xmx2g -cp "$TREE/api-server/target/keelson-api-server.jar" -Dloader.path="$TREE/api-server/target/test-classes" \
  -Dloader.main=io.keelson.apiserver.bench.ApiServerBenchmark org.springframework.boot.loader.launch.PropertiesLauncher \
  --api "https://127.0.0.1:$PORT" --etcd "http://127.0.0.1:$((PORT + 10))" --dir "$DIR/cluster" \
  --creates "$CREATES" --clients "$CLIENTS" --watchers "$WATCHERS" --events "$EVENTS" --watch-warmup "$WATCH_WARMUP" --warmup "$WARMUP" --out "$DIR/result.md" \
  --pid "api-server=$(cat "$DIR/cluster/run/api-server.pid")" --pid "etcd=$(cat "$DIR/cluster/run/etcd.pid")"

if [ "$WRITE" = 1 ]; then
  python3 - "$ROOT/docs/benchmarks.md" "$DIR/result.md" "$CREATES" "$CLIENTS" "$WATCHERS" "$LOAD" "$NOTES" "$WARMUP" "$ETCD_VERSION" <<'PY'
import sys, os, datetime
path, result, creates, clients, watchers, load, notes, warmup, etcd_version = sys.argv[1:10]
begin = "<!-- BEGIN section: api-server (owner: api-server, deploy/bench/apiserver.sh) -->"
end = "<!-- END section: api-server -->"
body = f"""{begin}
## api-server

etcd {etcd_version} and one api-server (`./keelson up --nodes 0 --without scheduler,controller-manager`) and the
benchmark client, all on this project's 2-core development machine (load average {load} when the run
started: other engineers' builds and tests share the cores, so absolute numbers are noisy; the
API/raw ratio is measured in the same run and is the figure to compare).

Reproduce (from the repo root): `deploy/bench/apiserver.sh --build --creates {creates} --clients {clients} --watchers {watchers} --warmup {warmup} --write-docs`

{open(result).read().strip()}

Measured {datetime.datetime.now(datetime.timezone.utc).strftime('%Y-%m-%d %H:%M')} UTC.
{(chr(10) + open(notes).read().strip() + chr(10)) if notes else ""}{end}"""
text = open(path).read() if os.path.exists(path) else "# Benchmarks\n"
if begin in text and end in text:
    text = text[:text.index(begin)] + body + text[text.index(end) + len(end):]
else:
    text = text.rstrip() + "\n\n" + body + "\n"
os.makedirs(os.path.dirname(path), exist_ok=True)
open(path, "w").write(text)
print("updated", path)
PY
fi
