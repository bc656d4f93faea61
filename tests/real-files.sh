#!/usr/bin/env bash
# Gathers the regression corpus of real files written by other tools (none made by this
# project) into one folder, for tests/real_files.rs:
#   pydicom/   pydicom's test and palette files (the pydicom 3.0.1 wheel from PyPI:
#              JPEG 2000, JPEG-LS, RLE, deflate, big endian, no meta group, colour, …)
#   cargo/     the sample images inside the codec crates' sources in the cargo registry
#   debian/    the example DICOM shipped in Debian's libgdcm3.0
# Usage: bash tests/real-files.sh DIR   (does nothing for what DIR already holds)
set -euo pipefail
dir=${1:?usage: tests/real-files.sh DIR}
mkdir -p "$dir"
cd "$dir"

if [ ! -d pydicom ]; then
  tmp=$(mktemp -d)
  python3 -m pip download --quiet --no-deps --only-binary=:all: pydicom==3.0.1 -d "$tmp"
  python3 - "$tmp"/pydicom-3.0.1-py3-none-any.whl <<'PY'
import sys, zipfile, pathlib
with zipfile.ZipFile(sys.argv[1]) as z:
    for name in z.namelist():
        if name.startswith(("pydicom/data/test_files/", "pydicom/data/palettes/")) and not name.endswith("/"):
            if name.endswith((".py", ".txt", ".md", ".icc", ".json", ".gz", ".bz2")):
                continue
            out = pathlib.Path("pydicom") / pathlib.Path(name).relative_to("pydicom/data")
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_bytes(z.read(name))
PY
  rm -rf "$tmp"
fi

mkdir -p cargo debian
registry=${CARGO_HOME:-$HOME/.cargo}/registry/src
for crate in jpeg-decoder-0.3.2 tiff-0.11.3 png-0.18.1 image-webp-0.2.4 gif-0.14.2 zune-jpeg-0.5.15; do
  for src in "$registry"/*/"$crate"; do
    [ -d "$src" ] || continue
    find "$src" -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.tif' \
      -o -iname '*.tiff' -o -iname '*.gif' -o -iname '*.webp' -o -iname '*.bmp' \) |
      while read -r f; do cp -n "$f" "cargo/$crate--$(basename "$f")"; done
  done
done
example=/usr/share/doc/libgdcm3.0/examples/00191113.dcm
[ -f "$example" ] && cp -n "$example" debian/
find . -type f | wc -l | xargs echo "real files in $dir:"
