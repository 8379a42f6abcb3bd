#!/usr/bin/env bash
# bench/tune end to end, briefly, on conv2d_3's forward kernel and Adam's
# (four buffers, four scalars, three outputs): a record with the hand and
# the tuned time, the machine, the Halide target, the architecture, and for
# conv2d_3 the same at batch 1 (how one image is split across cores); and
# what the kernel list says the architecture runs its 1-D kernels on.
# (tests/schedules/check_schedules.sh checks what the build does with a record.)
#   check_tune.sh TUNE_BINARY
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
tune="$1"
# 8 s each: on a loaded machine compiling the hand schedule alone once took
# 2 s, the whole budget, and no candidate was timed.

"$tune" --arch cnn3 --kernel 'conv2d_forward_5x5x64*' --seconds 8 --batch 16 --out "$work/record.json" \
    >"$work/tune.log" 2>&1 || { cat "$work/tune.log"; fail "tune"; }
cat "$work/tune.log"
grep -q ' us  (hand ' "$work/tune.log" || fail "tune timed no candidate"
grep -q '^  image_tasks:.* us  (hand ' "$work/tune.log" || fail "tune timed no candidate at batch 1"
"$tune" --arch cnn3 --kernel adam --seconds 8 --out "$work/record.json" >"$work/tune.log" 2>&1 ||
    { cat "$work/tune.log"; fail "tune adam"; }
cat "$work/tune.log"
grep -q '^  block_vectors:.* us  (hand ' "$work/tune.log" || fail "tune timed no candidate for adam"
# What the kernel list says cnn3 runs its 1-D kernels on: dropout_1's input
# per image, and dense_1's weights (the optimiser runs once per tensor).
/usr/bin/python3 - "$(dirname "$tune")/../generated/tailor/kernels.json" <<'PY' || fail "the kernel list's elements"
import json, sys
elements = json.load(open(sys.argv[1]))["elements"]["cnn3"]
assert elements == {"dropout": {"per_image": 13 * 13 * 32}, "adam": {"per_call": 1152 * 128},
                    "ema": {"per_call": 1152 * 128}}, elements
PY
/usr/bin/python3 - "$work/record.json" <<'PY' || fail "the record"
import json, sys
kernels = json.load(open(sys.argv[1]))["kernels"]
assert sorted(kernels) == ["adam", "conv2d_forward_5x5x64_to_128_relu"], kernels
for name, entry in kernels.items():
    assert len(entry) == 1, entry
    (key, tuned), = entry.items()
    assert key.startswith("x86-") or key.startswith("arm-"), key
    assert tuned["hand_ms"] > 0 and 0 < tuned["tuned_ms"] <= tuned["hand_ms"], tuned
    assert tuned["machine"] and tuned["halide_target"], tuned
    assert tuned["batch"] == (16 if name.startswith("conv") else 128) and tuned["arch"] == "cnn3", tuned
    assert tuned.get("elements") == (None if name.startswith("conv") else 1152 * 128), tuned
    assert all(isinstance(v, int) and v >= 0 for v in tuned["choices"].values()), tuned
    one = tuned.get("batch_1")
    assert (one is not None) == name.startswith("conv"), tuned
    assert one is None or (one["hand_ms"] > 0 and one["tuned_ms"] > 0 and one["candidates"] > 0), tuned
PY
echo ok
