#!/usr/bin/env bash
# fetch-etcd.sh — put etcd 3.5 (the series Kubernetes 1.32 runs on) into a private directory.
#
# Debian 12 packages etcd 3.4.23, whose write transactions cost etcd 3-5x a plain put (it copies
# its buffer of uncommitted writes for every transaction; fixed in 3.4.24 / 3.5). Every write of
# the api-server is such a transaction, so Keelson prefers 3.5. This takes the etcd-server and
# etcd-client packages of Debian 13 (trixie), which need nothing newer than Debian 12's libc,
# through apt with a private state directory: the archive's signatures are checked as for any
# apt install, nothing is installed system-wide, and the host's apt sources are left alone.
#
#   deploy/etcd/fetch-etcd.sh [--dest DIR]     (default ${XDG_CACHE_HOME:-~/.cache}/keelson/etcd)
#
# Result: DIR/bin/{etcd,etcdctl,etcdutl}. Prints DIR/bin on success; exits 1 with a one-line reason.
set -euo pipefail

DEST=${KEELSON_ETCD_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keelson/etcd}
MIRROR=${KEELSON_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
while [ $# -gt 0 ]; do
  case $1 in
    --dest) DEST=$2; shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-etcd: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

# grep without -q reads to the end: with -q it may exit at the first line, etcd then dies of SIGPIPE
# writing the rest, and pipefail turns that into "not 3.5" (seen on a loaded machine)
have() { [ -x "$DEST/bin/etcd" ] && "$DEST/bin/etcd" --version 2>/dev/null | grep 'etcd Version: 3\.[5-9]' >/dev/null; }
if have; then echo "$DEST/bin"; exit 0; fi
command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || { echo "fetch-etcd: needs apt-get and dpkg-deb (Debian)" >&2; exit 1; }
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
[ -r "$KEYRING" ] || { echo "fetch-etcd: no $KEYRING (apt-get install debian-archive-keyring)" >&2; exit 1; }

work=$(mktemp -d -t keelson-etcd.XXXXXX); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/debs"
echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" > "$work/sources.list"
apt_opts=(-q -o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=/dev/null
  -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root
  -o Debug::NoLocking=1 -o Acquire::Retries=2)
apt-get "${apt_opts[@]}" update >"$work/update.log" 2>&1
# apt-get update exits 0 even when the mirror was unreachable: look for the index itself.
ls "$work"/lists/*_dists_${SUITE}_main_binary-amd64_Packages* >/dev/null 2>&1 \
  || { echo "fetch-etcd: could not read Debian $SUITE's package index from $MIRROR: $(grep -E '^(E|W):' "$work/update.log" | head -1)" >&2; exit 1; }
(cd "$work/debs" && apt-get "${apt_opts[@]}" download "etcd-server/$SUITE" "etcd-client/$SUITE" >"$work/download.log" 2>&1) \
  || { echo "fetch-etcd: could not download etcd-server/etcd-client from Debian $SUITE: $(grep -E '^(E|W):' "$work/download.log" | head -1)" >&2; exit 1; }
for deb in "$work"/debs/*.deb; do dpkg-deb -x "$deb" "$work/root"; done
"$work/root/usr/bin/etcd" --version >/dev/null 2>&1 || { echo "fetch-etcd: the fetched etcd does not run here" >&2; exit 1; }
# Each binary is copied beside its final name and renamed: a running etcd keeps its old file.
mkdir -p "$DEST/bin"
for b in etcd etcdctl etcdutl; do
  if [ -x "$work/root/usr/bin/$b" ]; then cp "$work/root/usr/bin/$b" "$DEST/bin/.$b.new" && mv -f "$DEST/bin/.$b.new" "$DEST/bin/$b"; fi
done
have || { echo "fetch-etcd: the fetched etcd is not 3.5 or newer: $("$DEST/bin/etcd" --version | head -1)" >&2; exit 1; }
echo "$DEST/bin"
