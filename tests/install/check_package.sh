#!/usr/bin/env bash
# The installed library as another project uses it: `cmake --install` of this
# build into a scratch prefix, examples/classify (the C++ API) and
# examples/classify_c (the C API) configured and built out of tree against
# it, then run on photos with a checkpoint trained here: their classes must
# be tailor predict's, and the C API's errors one line each. A cross build's
# package is built with its toolchain file, the examples run under its
# emulator.
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
# Both examples: the C++ API's and the C API's.
for example in classify classify_c; do
    cmake -S "$source/examples/$example" -B "$work/$example" "${toolchain[@]}" -DCMAKE_PREFIX_PATH="$work/prefix" \
        -DCMAKE_BUILD_TYPE=Release >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
    cmake --build "$work/$example" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
done

$TAILOR_BINARY train --arch mlp --epochs 1 --limit 2000 --skip-test --data "$data" --out "$work/run" >"$work/log" 2>&1 \
    || { cat "$work/log"; exit 1; }
photos=("$source"/fuzz/corpus/image/*)
$TAILOR_BINARY predict --checkpoint "$work/run/checkpoint.tlr" --top 1 "${photos[@]}" >"$work/predict.txt"
for example in classify classify_c; do
    "${emulator[@]}" "$work/$example/classify" "$work/run/checkpoint.tlr" "${photos[@]}" >"$work/$example.txt"
    cat "$work/$example.txt"
    # "FILE: Class (0.912)" against "FILE: Class (7)  Class 0.912".
    diff <(sed 's/ (.*//' "$work/$example.txt") <(sed 's/ (.*//' "$work/predict.txt")
done

# The C API's errors: a missing checkpoint and a file that is not a photo,
# each one line naming the file, and the other photo still classified.
if "${emulator[@]}" "$work/classify_c/classify" "$work/missing.tlr" "${photos[0]}" 2>"$work/error.txt"; then
    echo "FAILED: a missing checkpoint was taken"; exit 1
fi
grep -q "^classify: $work/missing.tlr: " "$work/error.txt" || { cat "$work/error.txt"; exit 1; }
set +e
"${emulator[@]}" "$work/classify_c/classify" "$work/run/checkpoint.tlr" "$work/log" "${photos[0]}" \
    >"$work/out.txt" 2>"$work/error.txt"
status=$?
set -e
[ "$status" = 1 ] || { echo "FAILED: exit status $status for a bad photo"; exit 1; }
grep -q "^classify: $work/log: " "$work/error.txt" || { cat "$work/error.txt"; exit 1; }
grep -q "^${photos[0]}: " "$work/out.txt" || { cat "$work/out.txt"; exit 1; }
