#!/usr/bin/env bash
# Builds the initramfs of Keelson VM pods: the guest init (deploy/vm/guest/keelson-init.c, static)
# as /init plus the virtio modules fetched by fetch-kernel.sh.
#
#   deploy/vm/build-initramfs.sh [--dest DIR]
#
# Needs DIR/modules.load and DIR/modules/ from fetch-kernel.sh; writes DIR/keelson-init and
# DIR/initramfs.cpio (uncompressed: it boots faster under TCG than a compressed one). Rebuilt only
# when the init source or the modules changed. DIR defaults to $KEELSON_VM_DIR or ~/.keelson/vm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${KEELSON_VM_DIR:-$HOME/.keelson/vm}"
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-initramfs: unknown argument $1" >&2; exit 2 ;;
  esac
done
src="$here/guest/keelson-init.c"
[ -f "$dest/modules.load" ] || { echo "build-initramfs: run fetch-kernel.sh --dest $dest first" >&2; exit 1; }
command -v gcc >/dev/null || { echo "build-initramfs: gcc is needed to build the guest init" >&2; exit 1; }
command -v cpio >/dev/null || { echo "build-initramfs: cpio is needed" >&2; exit 1; }

if [ -s "$dest/initramfs.cpio" ] && [ "$dest/initramfs.cpio" -nt "$src" ] && [ "$dest/initramfs.cpio" -nt "$dest/modules.load" ]; then
  echo "build-initramfs: $dest/initramfs.cpio is up to date"
  exit 0
fi
gcc -static -O2 -Wall -Wno-unused-result -Wno-format-truncation -o "$dest/keelson-init.tmp" "$src"
strip "$dest/keelson-init.tmp" 2>/dev/null || true
mv "$dest/keelson-init.tmp" "$dest/keelson-init"

stage=$(mktemp -d); trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{dev,proc,sys,run,modules}
cp "$dest/keelson-init" "$stage/init"
cp "$dest/modules.load" "$stage/modules.load"
cp "$dest"/modules/*.ko "$stage/modules/" 2>/dev/null || true
mknod -m 600 "$stage/dev/console" c 5 1 2>/dev/null || true
( cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0 > "$dest/initramfs.cpio.tmp" )
mv "$dest/initramfs.cpio.tmp" "$dest/initramfs.cpio"
echo "build-initramfs: $dest/initramfs.cpio ($(du -k "$dest/initramfs.cpio" | cut -f1) KiB)"
