#!/usr/bin/env bash
# Builds the sample OCI image keelson.local/busybox from Debian's busybox-static, offline.
#
#   build-busybox.sh [--out DIR] [--push REGISTRY] [--busybox PATH]
#
#   --out DIR         OCI image layout to write (default: deploy/images/out/busybox). It holds three
#                     tags, each a full reference in org.opencontainers.image.ref.name:
#                       keelson.local/busybox:latest  busybox + every applet as a symlink in /bin
#                       keelson.local/busybox:1       the same plus /etc/keelson-version = 1, label version=1
#                       keelson.local/busybox:2       the same plus /etc/keelson-version = 2, label version=2
#                     The node agent imports layouts found under <images-dir>/preload/.
#   --push REGISTRY   also copy the three tags with skopeo to REGISTRY/busybox:{latest,1,2}
#                     (e.g. 127.0.0.1:5000; TLS verification off, for a local docker-registry)
#   --busybox PATH    the static busybox binary (default /bin/busybox from busybox-static)
#
# Deterministic (fixed mtimes, sorted tar, gzip -n): the same busybox gives the same digests, so a
# second run rewrites nothing and is fast. Needs: tar, gzip, sha256sum (and skopeo for --push).
set -euo pipefail

die() { echo "build-busybox: $*" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out/busybox
PUSH=""
BUSYBOX=/bin/busybox
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --push) PUSH=$2; shift 2 ;;
    --push=*) PUSH=${1#--push=}; shift ;;
    --busybox) BUSYBOX=$2; shift 2 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
[ -x "$BUSYBOX" ] || die "no busybox at $BUSYBOX (apt-get install busybox-static)"
# a dynamic busybox would not run in an image without libc; its ELF header names an interpreter
if command -v readelf >/dev/null && readelf -l "$BUSYBOX" 2>/dev/null | grep -q 'program interpreter'; then
  die "$BUSYBOX is dynamically linked; install busybox-static"
fi

WORK=$(mktemp -d -t keelson-busybox.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/blobs/sha256"
MTIME=@946684800   # 2000-01-01, fixed so that digests are reproducible

. "$HERE/oci-layout.sh"   # blob, size, make_layer, busybox_root

# --- base layer: busybox, applet symlinks, a minimal /etc
ROOT=$WORK/rootfs
busybox_root "$ROOT" "$BUSYBOX" var/www
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\nuser:x:1000:1000:user:/home:/bin/sh\n' > "$ROOT/etc/passwd"
printf 'root:x:0:\nnobody:x:65534:\nuser:x:1000:\n' > "$ROOT/etc/group"
echo '<html><body>keelson busybox</body></html>' > "$ROOT/var/www/index.html"
find "$ROOT" -exec touch -h -d "$MTIME" {} +
make_layer "$ROOT" base
BASE_HEX=$LAYER_HEX BASE_SIZE=$LAYER_SIZE BASE_DIFF=$DIFF_HEX

# image TAG VERSION: writes config + manifest for one tag; VERSION "" means no extra layer
MANIFESTS=()
image() {
  local tag=$1 version=$2 layers diffs labels
  layers="{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$BASE_HEX\",\"size\":$BASE_SIZE}"
  diffs="\"sha256:$BASE_DIFF\""
  labels="\"org.opencontainers.image.title\":\"keelson busybox\""
  if [ -n "$version" ]; then
    local v=$WORK/v$version
    mkdir -p "$v/etc"
    echo "$version" > "$v/etc/keelson-version"
    find "$v" -exec touch -h -d "$MTIME" {} +
    make_layer "$v" "v$version"
    layers="$layers,{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$LAYER_HEX\",\"size\":$LAYER_SIZE}"
    diffs="$diffs,\"sha256:$DIFF_HEX\""
    labels="$labels,\"io.keelson.image.version\":\"$version\""
  fi
  printf '{"architecture":"amd64","os":"linux","created":"2000-01-01T00:00:00Z","config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"Cmd":["sh"],"WorkingDir":"/","Labels":{%s}},"rootfs":{"type":"layers","diff_ids":[%s]},"history":[{"created":"2000-01-01T00:00:00Z","created_by":"deploy/images/build-busybox.sh"}]}' \
    "$labels" "$diffs" > "$WORK/config-$tag.json"
  local cfg_hex cfg_size
  cfg_hex=$(blob "$WORK/config-$tag.json"); cfg_size=$(size "$WORK/config-$tag.json")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[%s]}' \
    "$cfg_hex" "$cfg_size" "$layers" > "$WORK/manifest-$tag.json"
  local m_hex m_size
  m_hex=$(blob "$WORK/manifest-$tag.json"); m_size=$(size "$WORK/manifest-$tag.json")
  MANIFESTS+=("{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$m_hex\",\"size\":$m_size,\"platform\":{\"architecture\":\"amd64\",\"os\":\"linux\"},\"annotations\":{\"org.opencontainers.image.ref.name\":\"keelson.local/busybox:$tag\"}}")
}
image latest ""
image 1 1
image 2 2

echo '{"imageLayoutVersion":"1.0.0"}' > "$WORK/oci-layout"
INDEX="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\"manifests\":[$(IFS=,; echo "${MANIFESTS[*]}")]}"
echo "$INDEX" > "$WORK/index.json"
# replace index.json last and atomically, so that a reader never sees an index naming missing blobs
cmp -s "$WORK/oci-layout" "$OUT/oci-layout" || cp "$WORK/oci-layout" "$OUT/oci-layout"
if ! cmp -s "$WORK/index.json" "$OUT/index.json"; then
  cp "$WORK/index.json" "$OUT/.index.json.tmp" && mv -f "$OUT/.index.json.tmp" "$OUT/index.json"
fi
# drop blobs no longer referenced (e.g. after busybox was upgraded)
KEEP=$(cat "$OUT/index.json" "$WORK"/manifest-*.json "$WORK"/config-*.json | grep -o 'sha256:[0-9a-f]\{64\}' | sort -u)
for f in "$OUT"/blobs/sha256/*; do
  grep -q "sha256:$(basename "$f")" <<< "$KEEP" || rm -f "$f"
done
echo "build-busybox: wrote keelson.local/busybox:{latest,1,2} to $OUT"

if [ -n "$PUSH" ]; then
  command -v skopeo >/dev/null || die "--push needs skopeo (apt-get install skopeo)"
  for tag in latest 1 2; do
    skopeo copy --quiet --dest-tls-verify=false "oci:$OUT:keelson.local/busybox:$tag" "docker://$PUSH/busybox:$tag" \
      || die "push of busybox:$tag to $PUSH failed"
  done
  echo "build-busybox: pushed busybox:{latest,1,2} to $PUSH"
fi
