#!/usr/bin/env bash
# Re-fetch the dashboard's vendored charting library (uPlot) from the npm registry at the
# pinned version and check every file against src/voxnode/api/ui/vendor/SHA256SUMS.
#   scripts/fetch_ui_vendor.sh          fetch, check, write the files into vendor/
#   scripts/fetch_ui_vendor.sh --check  fetch and check only: the committed files must match
# npm itself checks the tarball against the registry's sha512 integrity.
set -euo pipefail

UPLOT_VERSION=1.6.32
VENDOR="$(cd "$(dirname "$0")/.." && pwd)/src/voxnode/api/ui/vendor"
FILES=(dist/uPlot.iife.min.js dist/uPlot.min.css LICENSE)

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
(cd "$scratch" && npm pack --silent "uplot@${UPLOT_VERSION}" >/dev/null && tar xzf "uplot-${UPLOT_VERSION}.tgz")

mkdir -p "$scratch/out"
for file in "${FILES[@]}"; do
    name="$(basename "$file")"
    [ "$name" = LICENSE ] && name=uPlot.LICENSE
    cp "$scratch/package/$file" "$scratch/out/$name"
done
(cd "$scratch/out" && sha256sum --check --strict "$VENDOR/SHA256SUMS")

if [ "${1:-}" = "--check" ]; then
    for name in $(awk '{print $2}' "$VENDOR/SHA256SUMS"); do
        cmp "$scratch/out/$name" "$VENDOR/$name"
    done
    echo "vendor/ matches uplot@${UPLOT_VERSION}"
else
    cp "$scratch/out/"* "$VENDOR/"
    echo "vendor/ written from uplot@${UPLOT_VERSION}"
fi
