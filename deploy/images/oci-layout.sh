# Sourced by the deploy/images/build-*.sh scripts: writing an OCI image layout, deterministically.
# Expects $OUT (the layout dir), $WORK (a scratch dir) and $MTIME (fixed mtime for tar).

# put FILE into the layout as a blob; prints its digest hex
blob() {
  local hex; hex=$(sha256sum "$1" | cut -d' ' -f1)
  [ -f "$OUT/blobs/sha256/$hex" ] || cp "$1" "$OUT/blobs/sha256/$hex"
  echo "$hex"
}
size() { stat -c %s "$1"; }

# tar a directory into a gzip layer; sets LAYER_HEX, LAYER_SIZE, DIFF_HEX
make_layer() {
  local dir=$1 name=$2
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime="$MTIME" --format=posix \
    --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
    -C "$dir" -cf "$WORK/$name.tar" .
  DIFF_HEX=$(sha256sum "$WORK/$name.tar" | cut -d' ' -f1)
  gzip -n -6 -c "$WORK/$name.tar" > "$WORK/$name.tar.gz"
  LAYER_HEX=$(blob "$WORK/$name.tar.gz")
  LAYER_SIZE=$(size "$WORK/$name.tar.gz")
}

# a root filesystem at DIR with the static busybox BUSYBOX and every applet linked in /bin, the usual
# top-level directories (plus any given after BUSYBOX), /tmp world-writable and /root private
busybox_root() {
  local root=$1 busybox=$2; shift 2
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,etc,tmp,root,home,proc,sys,dev,run}
  for d in "$@"; do mkdir -p "$root/$d"; done
  chmod 1777 "$root/tmp"
  chmod 0700 "$root/root"
  cp "$busybox" "$root/bin/busybox"
  chmod 0755 "$root/bin/busybox"
  local applet
  for applet in $("$busybox" --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
}
