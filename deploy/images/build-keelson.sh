#!/usr/bin/env bash
# Builds the image keelson.local/keelson:<version> that the Helm chart helm/keelson runs, offline, without
# Docker: busybox, a Java runtime jlink'ed to the modules Keelson's jars use (with the host's glibc
# libraries it needs), etcd 3.5 and the four component jars.
#
#   build-keelson.sh [--out DIR] [--version V] [--push REGISTRY] [--etcd DIR] [--jdk DIR] [--busybox PATH]
#                    [--jdeps]
#
#   --out DIR         OCI image layout to write (default: deploy/images/out/keelson); the node agent
#                     imports layouts found under <images-dir>/preload/
#   --version V       the tag (default: helm/keelson/Chart.yaml's appVersion)
#   --push REGISTRY   also copy it with skopeo to REGISTRY/keelson:V (TLS verification off)
#   --etcd DIR        a directory with etcd and etcdctl 3.5 (default: what deploy/etcd/fetch-etcd.sh gives)
#   --jdk DIR         the JDK to jlink from (default: $JAVA_HOME, else /usr/lib/jvm/temurin-25-jdk-amd64)
#   --busybox PATH    the static busybox binary (default /bin/busybox from busybox-static)
#   --jdeps           ask jdeps for the jars' modules instead of using the tested list (slow: minutes)
#
# Layers: busybox + glibc, the Java runtime (/opt/java), etcd (/usr/local/bin), the jars
# (/opt/keelson/lib/keelson-{api-server,scheduler,controller-manager,node-agent}.jar, from
# `mvn -B package -DskipTests`). Control plane only: no runc, qemu, nftables or CNI plugins (the chart's
# README says why). Deterministic (fixed mtimes, sorted tar, gzip -n): the same inputs give the same digests.
set -euo pipefail

die() { echo "build-keelson: $*" >&2; exit 1; }
step() { echo "build-keelson: $*"; }
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
OUT=$HERE/out/keelson
VERSION=$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$REPO/helm/keelson/Chart.yaml")
PUSH=""
ETCD_DIR=""
JDK=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
BUSYBOX=/bin/busybox
JDEPS=false
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --version) VERSION=$2; shift 2 ;;
    --push) PUSH=$2; shift 2 ;;
    --etcd) ETCD_DIR=$2; shift 2 ;;
    --jdk) JDK=$2; shift 2 ;;
    --busybox) BUSYBOX=$2; shift 2 ;;
    --jdeps) JDEPS=true; shift ;;
    -h|--help) sed -n '2,22p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ -n "$VERSION" ] || die "no appVersion in helm/keelson/Chart.yaml; give --version"
COMPONENTS="api-server scheduler controller-manager node-agent"
for c in $COMPONENTS; do
  [ -f "$REPO/$c/target/keelson-$c.jar" ] || die "no $c/target/keelson-$c.jar: build the jars first (mvn -B -q -o package -DskipTests)"
done
[ -x "$JDK/bin/jlink" ] || die "no jlink in $JDK/bin (give --jdk, a JDK 21 or newer)"
[ -x "$BUSYBOX" ] || die "no busybox at $BUSYBOX (apt-get install busybox-static)"
if command -v readelf >/dev/null && readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'program interpreter'; then
  die "$BUSYBOX is dynamically linked; install busybox-static"
fi
command -v ldd >/dev/null || die "no ldd (libc-bin)"
if [ -z "$ETCD_DIR" ]; then
  ETCD_DIR=$("$REPO/deploy/etcd/fetch-etcd.sh") || die "no etcd 3.5 (deploy/etcd/fetch-etcd.sh failed; give --etcd DIR)"
fi
[ -x "$ETCD_DIR/etcd" ] && [ -x "$ETCD_DIR/etcdctl" ] || die "no etcd and etcdctl in $ETCD_DIR"
"$ETCD_DIR/etcd" --version 2>/dev/null | grep 'etcd Version: 3\.[5-9]' >/dev/null || die "$ETCD_DIR/etcd is not etcd 3.5 or newer"

WORK=$(mktemp -d -t keelson-image.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/blobs/sha256"
MTIME=@946684800   # 2000-01-01, fixed so that digests are reproducible
. "$HERE/oci-layout.sh"   # blob, size, make_layer, busybox_root

# What `jdeps --ignore-missing-deps --multi-release 21 --print-module-deps` reports for the four jars' classes
# and BOOT-INF/lib, together, plus modules reached only by reflection or service lookup: jdk.naming.dns (JNDI's
# dns: provider, gRPC's SRV/TXT lookups), jdk.crypto.ec and jdk.zipfs. --jdeps checks the list again.
MODULES=java.base,java.compiler,java.desktop,java.instrument,java.naming,java.net.http,java.prefs,java.scripting
MODULES=$MODULES,java.security.jgss,java.sql,jdk.httpserver,jdk.jfr,jdk.management,jdk.unsupported
MODULES=$MODULES,jdk.naming.dns,jdk.crypto.ec,jdk.zipfs
unpack_jar() { # component: its fat jar unpacked into $WORK/jars/<component>
  [ -d "$WORK/jars/$1" ] || { mkdir -p "$WORK/jars/$1" && (cd "$WORK/jars/$1" && "$JDK/bin/jar" xf "$REPO/$1/target/keelson-$1.jar"); }
}
if $JDEPS; then
  step "asking jdeps for the modules of $COMPONENTS"
  found=""
  for c in $COMPONENTS; do
    unpack_jar "$c"
    found=$found,$("$JDK/bin/jdeps" --ignore-missing-deps --multi-release 21 --print-module-deps \
      --class-path "$WORK/jars/$c/BOOT-INF/lib/*" "$WORK/jars/$c/BOOT-INF/classes") || die "jdeps failed on $c"
  done
  MODULES=$(echo "$found,jdk.naming.dns,jdk.crypto.ec,jdk.zipfs" | tr , '\n' | grep . | sort -u | paste -sd,)
fi
# drop modules this JDK no longer has (jdk.crypto.ec is gone from newer ones)
present=$("$JDK/bin/java" --list-modules | sed 's/@.*//')
MODULES=$(echo "$MODULES" | tr , '\n' | grep -Fxf <(echo "$present") | paste -sd,)
step "jlink'ing a Java runtime from $JDK with $MODULES"

# --- layer 2: the Java runtime
JAVA_ROOT=$WORK/java
"$JDK/bin/jlink" --add-modules "$MODULES" --output "$JAVA_ROOT/opt/java" --strip-debug --no-man-pages \
  --no-header-files >"$WORK/jlink.log" 2>&1 || die "jlink failed: $(tail -3 "$WORK/jlink.log")"

# --- layer 1: busybox, the glibc libraries java, its native libraries, gRPC's netty and etcd link against
# (not the X11 and ALSA ones of java.desktop's AWT and sound libraries: a headless server never loads them)
ROOT=$WORK/rootfs
busybox_root "$ROOT" "$BUSYBOX" usr/local/bin var/lib lib/x86_64-linux-gnu lib64
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\n' > "$ROOT/etc/group"
printf 'hosts: files dns\n' > "$ROOT/etc/nsswitch.conf"
ln -s /opt/java/bin/java "$ROOT/usr/bin/java"
# gRPC's netty ships its epoll transport and TLS as native libraries inside the jar: they need libgcc_s too
unpack_jar api-server
mkdir -p "$WORK/native"
for j in "$WORK"/jars/api-server/BOOT-INF/lib/grpc-netty-shaded-*.jar; do
  (cd "$WORK/native" && "$JDK/bin/jar" xf "$j" META-INF/native)
done
libs=$( { find "$JAVA_ROOT/opt/java" "$WORK/native" -type f \( -name '*.so' -o -path '*/bin/*' \) -print; \
  echo "$ETCD_DIR/etcd"; echo "$ETCD_DIR/etcdctl"; } | grep -Ev 'aarch|awt|splashscreen|fontmanager|jsound|lcms|javajpeg|mlib_image' | while read -r f; do
    ldd "$f" 2>/dev/null | grep -v "$JAVA_ROOT" || true
  done | grep -o '/[^ ]*\.so[^ ]*' | sort -u)
for lib in $libs; do
  case "$lib" in
    */ld-linux-x86-64.so.2) cp -L "$lib" "$ROOT/lib64/ld-linux-x86-64.so.2" ;;
    *) cp -L "$lib" "$ROOT/lib/x86_64-linux-gnu/$(basename "$lib")" ;;
  esac
done
[ -f "$ROOT/lib64/ld-linux-x86-64.so.2" ] || die "ldd named no dynamic loader for java"
step "glibc libraries: $(cd "$ROOT/lib/x86_64-linux-gnu" && ls | paste -sd' ')"

# --- layer 3: etcd; layer 4: the component jars, under the names the chart's templates use
ETCD_ROOT=$WORK/etcd
mkdir -p "$ETCD_ROOT/usr/local/bin"
cp "$ETCD_DIR/etcd" "$ETCD_DIR/etcdctl" "$ETCD_ROOT/usr/local/bin/"
JARS_ROOT=$WORK/jars-layer
mkdir -p "$JARS_ROOT/opt/keelson/lib"
for c in $COMPONENTS; do cp "$REPO/$c/target/keelson-$c.jar" "$JARS_ROOT/opt/keelson/lib/"; done

LAYERS="" DIFFS="" UNPACKED=0
for part in rootfs java etcd jars-layer; do
  dir=$WORK/$part
  find "$dir" -exec touch -h -d "$MTIME" {} +
  make_layer "$dir" "$part"
  step "layer $part: $(du -sh --apparent-size "$dir" | cut -f1) unpacked, $((LAYER_SIZE / 1048576)) MiB compressed"
  UNPACKED=$((UNPACKED + $(du -sb "$dir" | cut -f1)))
  LAYERS="$LAYERS${LAYERS:+,}{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$LAYER_HEX\",\"size\":$LAYER_SIZE}"
  DIFFS="$DIFFS${DIFFS:+,}\"sha256:$DIFF_HEX\""
done

# the runtime must start here before it goes into an image (a missing library shows now, not in a pod)
if [ "$(id -u)" = 0 ] && command -v chroot >/dev/null; then
  TRY=$WORK/try
  mkdir -p "$TRY"
  for part in rootfs java etcd; do cp -a "$WORK/$part/." "$TRY/"; done
  # no /proc in a bare chroot: ld.so then finds java's $ORIGIN/../lib through LD_ORIGIN_PATH
  chroot "$TRY" /bin/env LD_ORIGIN_PATH=/opt/java/bin /opt/java/bin/java -version >"$WORK/try.log" 2>&1 || die "java does not start in the image: $(tail -3 "$WORK/try.log")"
  chroot "$TRY" /usr/local/bin/etcd --version >/dev/null 2>&1 || die "etcd does not start in the image"
  step "java and etcd start in the image's root: $(head -1 "$WORK/try.log")"
fi

printf '{"architecture":"amd64","os":"linux","created":"2000-01-01T00:00:00Z","config":{"Env":["PATH=/opt/java/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","JAVA_HOME=/opt/java"],"Cmd":["sh"],"WorkingDir":"/","Labels":{"org.opencontainers.image.title":"keelson","org.opencontainers.image.version":"%s"}},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[{"created":"2000-01-01T00:00:00Z","created_by":"deploy/images/build-keelson.sh"}]}' \
  "$VERSION" "$DIFFS" > "$WORK/config.json"
cfg_hex=$(blob "$WORK/config.json"); cfg_size=$(size "$WORK/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
  "$cfg_hex" "$cfg_size" "$LAYERS" > "$WORK/manifest.json"
m_hex=$(blob "$WORK/manifest.json"); m_size=$(size "$WORK/manifest.json")
echo '{"imageLayoutVersion":"1.0.0"}' > "$WORK/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"keelson.local/keelson:%s"}}]}\n' \
  "$m_hex" "$m_size" "$VERSION" > "$WORK/index.json"
# replace index.json last and atomically, so that a reader never sees an index naming missing blobs
cmp -s "$WORK/oci-layout" "$OUT/oci-layout" || cp "$WORK/oci-layout" "$OUT/oci-layout"
if ! cmp -s "$WORK/index.json" "$OUT/index.json"; then
  cp "$WORK/index.json" "$OUT/.index.json.tmp" && mv -f "$OUT/.index.json.tmp" "$OUT/index.json"
fi
# drop blobs no longer referenced (e.g. from an earlier build of the jars)
KEEP=$(cat "$OUT/index.json" "$WORK/manifest.json" | grep -o 'sha256:[0-9a-f]\{64\}' | sort -u)
for f in "$OUT"/blobs/sha256/*; do
  grep -q "sha256:$(basename "$f")" <<< "$KEEP" || rm -f "$f"
done
step "wrote keelson.local/keelson:$VERSION to $OUT: $(du -sm "$OUT" | cut -f1) MiB compressed, $((UNPACKED / 1048576)) MiB unpacked"

if [ -n "$PUSH" ]; then
  command -v skopeo >/dev/null || die "--push needs skopeo (apt-get install skopeo)"
  skopeo copy --quiet --dest-tls-verify=false "oci:$OUT:keelson.local/keelson:$VERSION" "docker://$PUSH/keelson:$VERSION" \
    || die "push of keelson:$VERSION to $PUSH failed"
  step "pushed keelson:$VERSION to $PUSH"
fi
