#!/usr/bin/env bash
# Obtains the guest kernel for VM pods: Debian's cloud kernel (small, ext4 built in, virtio as
# modules) unpacked into a cache directory, with the few modules the guest init loads.
#
#   deploy/vm/fetch-kernel.sh [--dest DIR] [--version 6.1.0-56] [--kernel VMLINUZ --modules-dir DIR]
#
# Result (idempotent: an existing complete result is kept):
#   DIR/vmlinuz           the kernel image
#   DIR/vmlinux           the same kernel uncompressed (ELF, PVH entry): qemu loads it directly,
#                         which saves the in-guest decompression (about a second under TCG)
#   DIR/kernel.release    e.g. 6.1.0-56-cloud-amd64
#   DIR/modules/*.ko      the modules, DIR/modules.load their load order (one file name a line)
# DIR defaults to $KEELSON_VM_DIR or ~/.keelson/vm. --kernel/--modules-dir take a kernel of your
# own instead (modules-dir is a lib/modules/<release> tree; omit it for a kernel with virtio built in).
set -euo pipefail

dest="${KEELSON_VM_DIR:-$HOME/.keelson/vm}"
version=""
kernel=""
modules_dir=""
while [ $# -gt 0 ]; do
  case "$1" in
    --dest) dest="$2"; shift 2 ;;
    --version) version="$2"; shift 2 ;;
    --kernel) kernel="$2"; shift 2 ;;
    --modules-dir) modules_dir="$2"; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-kernel: unknown argument $1" >&2; exit 2 ;;
  esac
done

# Load order matters: each module needs the ones before it.
MODULES="virtio_ring virtio virtio_mmio virtio_blk virtio_console failover net_failover virtio_net"

mkdir -p "$dest"
# Uncompressed ELF kernel from a bzImage (like the kernel's scripts/extract-vmlinux), if possible.
extract_vmlinux() {
  rm -f "$dest/vmlinux"
  local magic tool pos
  for pair in '\x02\x21\x4c\x18:unlz4 -c' '\xfd\x37\x7a\x58\x5a\x00:xz -dc' '\x28\xb5\x2f\xfd:zstd -dcq' '\x1f\x8b\x08:gzip -dc'; do
    magic="${pair%%:*}"; tool="${pair#*:}"
    command -v "${tool%% *}" >/dev/null || continue
    for pos in $(LC_ALL=C grep -aboP "$magic" "$dest/vmlinuz" 2>/dev/null | cut -d: -f1 | head -5); do
      tail -c+$((pos + 1)) "$dest/vmlinuz" | $tool > "$dest/vmlinux.tmp" 2>/dev/null || true
      if [ "$(head -c4 "$dest/vmlinux.tmp" 2>/dev/null | od -An -c | tr -d ' ')" = '177ELF' ]; then
        mv "$dest/vmlinux.tmp" "$dest/vmlinux"; rm -f "$dest/vmlinux.tmp"; return 0
      fi
    done
  done
  rm -f "$dest/vmlinux.tmp"
  return 0
}

if [ -s "$dest/vmlinuz" ] && [ -s "$dest/kernel.release" ] && [ -f "$dest/modules.load" ] && [ -z "$kernel" ]; then
  [ -s "$dest/vmlinux" ] || extract_vmlinux
  echo "fetch-kernel: $dest/vmlinuz ($(cat "$dest/kernel.release")) already present"
  exit 0
fi

copy_modules() { # $1 = lib/modules/<release> tree
  rm -rf "$dest/modules"; mkdir -p "$dest/modules"; : > "$dest/modules.load.tmp"
  for m in $MODULES; do
    f=$(find "$1" -name "$m.ko" -o -name "$m.ko.xz" -o -name "$m.ko.zst" | head -1)
    if [ -z "$f" ]; then
      if grep -qs "/$m.ko" "$1/modules.builtin"; then continue; fi
      echo "fetch-kernel: module $m not found under $1" >&2; exit 1
    fi
    case "$f" in
      *.xz) xz -dc "$f" > "$dest/modules/$m.ko" ;;
      *.zst) zstd -qdc "$f" > "$dest/modules/$m.ko" ;;
      *) cp "$f" "$dest/modules/$m.ko" ;;
    esac
    echo "$m.ko" >> "$dest/modules.load.tmp"
  done
  mv "$dest/modules.load.tmp" "$dest/modules.load"
}

if [ -n "$kernel" ]; then
  [ -r "$kernel" ] || { echo "fetch-kernel: kernel $kernel not readable" >&2; exit 1; }
  cp "$kernel" "$dest/vmlinuz.tmp"
  if [ -n "$modules_dir" ]; then
    copy_modules "$modules_dir"; basename "$modules_dir" > "$dest/kernel.release"
  else
    rm -rf "$dest/modules"; mkdir -p "$dest/modules"; : > "$dest/modules.load"
    basename "$kernel" | sed 's/^vmlinuz-//' > "$dest/kernel.release"
  fi
  mv "$dest/vmlinuz.tmp" "$dest/vmlinuz"
  extract_vmlinux
  echo "fetch-kernel: using $kernel ($(cat "$dest/kernel.release")) in $dest"
  exit 0
fi

if [ -z "$version" ]; then
  # The meta package points at the newest cloud kernel apt offers.
  pkg=$(apt-cache depends linux-image-cloud-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*-cloud-amd64\)$/\1/p' | head -1)
  if [ -z "$pkg" ]; then
    pkg=$(apt-cache pkgnames linux-image- 2>/dev/null | grep -E '^linux-image-[0-9.]+-[0-9]+-cloud-amd64$' | sort -V | tail -1)
  fi
else
  pkg="linux-image-$version-cloud-amd64"
fi
[ -n "$pkg" ] || { echo "fetch-kernel: apt offers no linux-image-*-cloud-amd64 (run apt-get update?)" >&2; exit 1; }

work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
( cd "$work" && apt-get download "$pkg" >/dev/null 2>"$work/apt.err" ) || {
  cat "$work/apt.err" >&2; echo "fetch-kernel: apt-get download $pkg failed" >&2; exit 1; }
dpkg -x "$work"/*.deb "$work/x"
release=$(ls "$work/x/lib/modules" | head -1)
copy_modules "$work/x/lib/modules/$release"
echo "$release" > "$dest/kernel.release"
cp "$work/x/boot/vmlinuz-$release" "$dest/vmlinuz.tmp" && mv "$dest/vmlinuz.tmp" "$dest/vmlinuz"
extract_vmlinux
echo "fetch-kernel: $pkg -> $dest/vmlinuz ($release)"
