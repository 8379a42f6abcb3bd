#!/usr/bin/env bash
# The installed library as another project uses it: `cmake --install` of this
# build into a scratch prefix, examples/classify configured and built out of
# tree against it, then run on photos with a checkpoint trained here; its
# classes must be tailor predict's. A cross build's package is built with its
# toolchain file, and the example run with its emulator.
#   check_package.sh BUILD_DIR SOURCE_DIR DATA_DIR [TOOLCHAIN_FILE EMULATOR...]   (TAILOR_BINARY set)
set -euo pipefail
build="$1" source="$2" data="$3"
toolchain=() emulator=()
if [ $# -gt 3 ]; then
    toolchain=(--toolchain "$4")
    emulator=("${@:5}")
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cmake --install "$build" --prefix "$work/prefix" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
cmake -S "$source/examples/classify" -B "$work/example" "${toolchain[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" \
    -DCMAKE_BUILD_TYPE=Release >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
cmake --build "$work/example" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }

$TAILOR_BINARY train --arch mlp --epochs 1 --limit 2000 --skip-test --data "$data" --out "$work/run" >"$work/log" 2>&1 \
    || { cat "$work/log"; exit 1; }
photos=("$source"/fuzz/corpus/image/*)
"${emulator[@]}" "$work/example/classify" "$work/run/checkpoint.tlr" "${photos[@]}" >"$work/example.txt"
$TAILOR_BINARY predict --checkpoint "$work/run/checkpoint.tlr" --top 1 "${photos[@]}" >"$work/predict.txt"
cat "$work/example.txt"
# "FILE: Class (0.912)" against "FILE: Class (7)  Class 0.912".
diff <(sed 's/ (.*//' "$work/example.txt") <(sed 's/ (.*//' "$work/predict.txt")
