#!/usr/bin/env bash
# tailor predict on photos made from test images (check_photos.py), with a
# cnn3 trained here for 2 epochs on 12,000 images.
#   TAILOR_BINARY=build/tailor predict_photos.sh DATA_DIR
set -euo pipefail
data="$1"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# TAILOR_BINARY may be an emulator and the program: split, not quoted.
$TAILOR_BINARY train --arch cnn3 --epochs 2 --limit 12000 --batch 128 --lr 0.002 --skip-test --data "$data" \
    --out "$work/run" >"$work/log" 2>&1 || { cat "$work/log"; exit 1; }
/usr/bin/python3 "$(dirname "$0")/check_photos.py" "$work/run/checkpoint.tlr" "$data" "$work/photos"
