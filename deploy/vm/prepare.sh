#!/usr/bin/env bash
# Everything a node needs to run VM pods, in one directory (idempotent; what `./keelson up` calls):
#
#   deploy/vm/prepare.sh [--dest DIR] [--kernel VMLINUZ [--modules-dir DIR]]
#
# = fetch-kernel.sh (Debian's cloud kernel, or the given one) + build-initramfs.sh (guest init).
# Result: DIR/vmlinuz, DIR/initramfs.cpio, DIR/kernel.release. The node agent's qemu driver looks
# for them in --vm-dir, $KEELSON_VM_DIR, or ~/.keelson/vm.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="${KEELSON_VM_DIR:-$HOME/.keelson/vm}"
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest="$2"; shift 2 ;;
    --kernel|--modules-dir|--version) args+=("$1" "$2"); shift 2 ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "prepare: unknown argument $1" >&2; exit 2 ;;
  esac
done
"$here/fetch-kernel.sh" --dest "$dest" "${args[@]}"
"$here/build-initramfs.sh" --dest "$dest"
