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

# KVM or TCG: boot the guest once with -accel kvm under a timeout (a nested guest may hang forever
# although /dev/kvm exists). The agent's qemu driver reads the answer from DIR/accel.probe (same
# key: qemu version + host kernel) instead of probing while it registers its node.
qemu=$(command -v qemu-system-x86_64 || true)
if [ -n "$qemu" ]; then
  key="$("$qemu" --version | head -1 | sed 's/.*version \([^ ]*\).*/\1/')|$(cat /proc/sys/kernel/osrelease)"
  if [ "$(head -1 "$dest/accel.probe" 2>/dev/null)" != "$key" ]; then
    kernel="$dest/vmlinuz"; [ -s "$dest/vmlinux" ] && kernel="$dest/vmlinux"
    if [ ! -e /dev/kvm ]; then
      accel=tcg; why="no /dev/kvm"
    elif out=$(timeout -s KILL 10 "$qemu" -M microvm -accel kvm -cpu host -m 128 -nodefaults -no-user-config -no-reboot \
        -display none -serial stdio -kernel "$kernel" -initrd "$dest/initramfs.cpio" \
        -append "console=ttyS0 panic=-1 reboot=t keelson.probe=1" </dev/null 2>&1) && grep -q 'probe ok' <<<"$out"; then
      accel=kvm; why="a KVM guest booted"
    else
      accel=tcg; why="a KVM guest did not boot within 10s (nested virtualization?)"
    fi
    printf '%s\n%s\n%s\n' "$key" "$accel" "$why" > "$dest/accel.probe"
  fi
  echo "prepare: VM acceleration $(sed -n 2p "$dest/accel.probe") ($(sed -n 3p "$dest/accel.probe"))"
fi
