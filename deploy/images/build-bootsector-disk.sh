#!/usr/bin/env bash
# Builds keelson.local/bootsector-disk:latest, offline: a disk image for a Full VM (kind
# VirtualMachine) in KubeVirt's containerDisk layout, one layer holding /disk/boot.img. The disk is
# bootsector/boot.asm assembled with nasm: a 512-byte BIOS boot sector ("KeelsonDOS") that prints a
# banner on COM1 and echoes what it receives.
#
#   build-bootsector-disk.sh [--out DIR] [--push REGISTRY]
#
#   --out DIR         OCI image layout to write (default: deploy/images/out/bootsector-disk); the
#                     node agent imports layouts found under <images-dir>/preload/
#   --push REGISTRY   also copy it with skopeo to REGISTRY/bootsector-disk:latest (TLS verification off)
#
# Deterministic (fixed mtimes, sorted tar, gzip -n). Needs: nasm, tar, gzip, sha256sum.
set -euo pipefail

die() { echo "build-bootsector-disk: $*" >&2; exit 1; }
HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out/bootsector-disk
PUSH=""
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --push) PUSH=$2; shift 2 ;;
    --push=*) PUSH=${1#--push=}; shift ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument $1 (see --help)" ;;
  esac
done
command -v nasm >/dev/null || die "no nasm (apt-get install nasm)"

WORK=$(mktemp -d -t keelson-bootsector.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$OUT/blobs/sha256"
MTIME=@946684800
. "$HERE/oci-layout.sh"   # blob, size, make_layer

mkdir -p "$WORK/rootfs/disk"
nasm -f bin -o "$WORK/rootfs/disk/boot.img" "$HERE/bootsector/boot.asm"
[ "$(size "$WORK/rootfs/disk/boot.img")" = 512 ] || die "boot.asm did not assemble to 512 bytes"
find "$WORK/rootfs" -exec touch -h -d "$MTIME" {} +
make_layer "$WORK/rootfs" disk

printf '{"architecture":"amd64","os":"linux","created":"2000-01-01T00:00:00Z","config":{"Labels":{"org.opencontainers.image.title":"KeelsonDOS boot sector disk"}},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]},"history":[{"created":"2000-01-01T00:00:00Z","created_by":"deploy/images/build-bootsector-disk.sh"}]}' \
  "$DIFF_HEX" > "$WORK/config.json"
CFG_HEX=$(blob "$WORK/config.json"); CFG_SIZE=$(size "$WORK/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
  "$CFG_HEX" "$CFG_SIZE" "$LAYER_HEX" "$LAYER_SIZE" > "$WORK/manifest.json"
M_HEX=$(blob "$WORK/manifest.json"); M_SIZE=$(size "$WORK/manifest.json")
echo '{"imageLayoutVersion":"1.0.0"}' > "$OUT/oci-layout"
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"platform":{"architecture":"amd64","os":"linux"},"annotations":{"org.opencontainers.image.ref.name":"keelson.local/bootsector-disk:latest"}}]}\n' \
  "$M_HEX" "$M_SIZE" > "$WORK/index.json"
cp "$WORK/index.json" "$OUT/.index.json.tmp" && mv -f "$OUT/.index.json.tmp" "$OUT/index.json"
echo "build-bootsector-disk: wrote keelson.local/bootsector-disk:latest to $OUT"

if [ -n "$PUSH" ]; then
  command -v skopeo >/dev/null || die "--push needs skopeo (apt-get install skopeo)"
  skopeo copy --quiet --dest-tls-verify=false "oci:$OUT:keelson.local/bootsector-disk:latest" \
    "docker://$PUSH/bootsector-disk:latest" || die "push to $PUSH failed"
fi
