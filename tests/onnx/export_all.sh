#!/usr/bin/env bash
# The ONNX export of every declared architecture, checked by ONNX's checker
# and run by OpenCV against tailor's own evaluation (check_model.py): for each,
# a short training (400 images) on the real data set with the weights'
# average on, then `tailor evaluate` on the first 1,000 test images without
# test-time augmentation, and `tailor export`.
#   TAILOR_BINARY=build/tailor export_all.sh DATA_DIR ARCH...
set -euo pipefail
data="$1"
shift
here="$(dirname "$0")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for arch in "$@"; do
    run="$work/$arch"
    # TAILOR_BINARY may be an emulator and the program: split, not quoted.
    $TAILOR_BINARY train --arch "$arch" --epochs 1 --limit 500 --test-limit 1000 --ema 0.9 --skip-test \
        --data "$data" --out "$run" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
    $TAILOR_BINARY evaluate --checkpoint "$run/checkpoint.tlr" --tta none --data "$data" --out "$run/evaluation" \
        >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
    $TAILOR_BINARY export --checkpoint "$run/checkpoint.tlr" --onnx "$run/model.onnx"
    /usr/bin/python3 "$here/check_model.py" "$run/model.onnx" "$data" "$run/evaluation/predictions.csv"
done
