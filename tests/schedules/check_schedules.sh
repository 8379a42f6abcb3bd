#!/usr/bin/env bash
# Tuned schedules end to end, on conv2d_3's forward kernel (and dense_2's for
# a GPU, Adam's for an element-wise kernel):
# - bench/tune searches it briefly and writes a record with the hand and the
#   tuned time, the machine and the Halide target, and for conv2d_3 the same
#   at batch 1 (how one image is split across cores);
# - the generator takes a record's choices (the same choices twice: the same
#   object; others: another) and refuses a choice the kernel does not have,
#   for a CPU target and for a GPU's thread block;
# - CMake turns a record into the generator's `schedule` parameter, and
#   refuses a malformed one.
#   check_schedules.sh GENERATOR_BINARY TUNE_BINARY SOURCE_DIR
set -euo pipefail
generator="$1"
tune="$2"
source_dir="$3"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }

"$tune" --arch cnn3 --kernel 'conv2d_forward_5x5x64*' --seconds 2 --batch 16 --out "$work/record.json" \
    >"$work/tune.log" 2>&1 || { cat "$work/tune.log"; fail "tune"; }
cat "$work/tune.log"
grep -q ' us  (hand ' "$work/tune.log" || fail "tune timed no candidate"
grep -q '^  image_tasks:.* us  (hand ' "$work/tune.log" || fail "tune timed no candidate at batch 1"
# Adam: four buffers, four scalars, three outputs.
"$tune" --arch cnn3 --kernel adam --seconds 2 --out "$work/record.json" >"$work/tune.log" 2>&1 ||
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

params=(width=5 height=5 in_channels=64 out_channels=128 relu=true)
target=x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake
# Each into a folder of its own, under one function name: the name is in the code.
compile() {
    mkdir -p "$work/$1"
    "$generator" -g conv2d_forward -o "$work/$1" -e object -f conv target=$target "${params[@]}" "${@:2}"
}
compile hand
compile tuned "schedule=x86-avx512@tile_vectors:1,tile_columns:2"
compile again "schedule=x86-avx2@tile_vectors:2+x86-avx512@tile_vectors:1,tile_columns:2"
compile other-target "schedule=x86-avx2@tile_vectors:1"
cmp -s "$work/tuned/conv.o" "$work/again/conv.o" || fail "the same choices gave different code"
cmp -s "$work/hand/conv.o" "$work/other-target/conv.o" || fail "another target's choices changed this one's code"
! cmp -s "$work/hand/conv.o" "$work/tuned/conv.o" || fail "the choices changed nothing"
if compile bad "schedule=x86-avx512@tile_colums:2" 2>"$work/bad.log"; then fail "a misspelt choice was taken"; fi
grep -q "this kernel has no choice 'tile_colums'" "$work/bad.log" || { cat "$work/bad.log"; fail "no message"; }
if compile bad "schedule=x86-avx512x@tile_columns:2" 2>"$work/bad.log"; then fail "a misspelt target was taken"; fi
grep -q "'x86-avx512x' is not a target key" "$work/bad.log" || { cat "$work/bad.log"; fail "no message"; }
compile split "schedule=x86-avx512@image_tasks:1"
! cmp -s "$work/hand/conv.o" "$work/split/conv.o" || fail "image_tasks changed nothing"

# Every other kind of choice changes its kernel: GENERATOR NAME PARAMS...
# then the choice.
changes() {
    mkdir -p "$work/$2-hand" "$work/$2"
    "$generator" -g "$1" -o "$work/$2-hand" -e object -f conv target=$target "${@:3:$#-3}"
    "$generator" -g "$1" -o "$work/$2" -e object -f conv target=$target "${@:3}"
    ! cmp -s "$work/$2-hand/conv.o" "$work/$2/conv.o" || fail "$2 changed nothing in $1"
}
changes conv2d_backward_data dz_per_image "${params[@]}" "schedule=x86-avx512@dz_per_image:0"
changes dense_forward image_tile_vectors inputs=1152 outputs=128 relu=true "schedule=x86-avx512@image_tile_vectors:1"
changes dropout block_vectors "schedule=x86-avx512@block_vectors:64"
changes dropout lane_vectors "schedule=x86-avx512@lane_vectors:2"
changes gaussian_noise noise_blocks "schedule=x86-avx512@block_vectors:64"
changes ema ema_lanes "schedule=x86-avx512@lane_vectors:4"

# A GPU target's choices are its thread block (compiled, not run: no device
# here), on dense_2's forward kernel, the quickest to compile.
compile() {
    mkdir -p "$work/$1"
    "$generator" -g dense_forward -o "$work/$1" -e object -f conv target=x86-64-linux-cuda inputs=128 outputs=10 \
        relu=false "${@:2}"
}
compile gpu-hand
compile gpu-tuned "schedule=cuda@gpu_block_x:8,gpu_block_y:4"
! cmp -s "$work/gpu-hand/conv.o" "$work/gpu-tuned/conv.o" || fail "the GPU's choices changed nothing"
if compile gpu-bad "schedule=cuda@tile_vectors:2" 2>"$work/bad.log"; then fail "a CPU choice was taken for a GPU"; fi
grep -q "this kernel has no choice 'tile_vectors'" "$work/bad.log" || { cat "$work/bad.log"; fail "no message"; }

cat >"$work/probe.cmake" <<'CMAKE'
include("${SOURCE_DIR}/cmake/TailorSchedules.cmake")
tailor_read_schedule_record(kernels)
tailor_schedule_param("${kernels}" conv2d_forward_5x5x64_to_128_relu param)
message(STATUS "PARAM ${param}")
CMAKE
printf '{"kernels": {"conv2d_forward_5x5x64_to_128_relu": {"x86-avx512": {"choices": {"tile_vectors": 1, "tile_columns": 2}}, "x86-avx2": {"choices": {}}}}}' >"$work/good.json"
cmake -DSOURCE_DIR="$source_dir" -DPROJECT_SOURCE_DIR="$source_dir" -DTAILOR_SCHEDULES="$work/good.json" \
    -P "$work/probe.cmake" >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log"; fail "cmake on a good record"; }
grep -q -- "PARAM schedule=x86-avx512@tile_columns:2,tile_vectors:1$" "$work/cmake.log" ||
    { cat "$work/cmake.log"; fail "the record's choices are not the generator's parameter"; }
printf '{"kernels": {"conv2d_forward_5x5x64_to_128_relu": {"x86-avx512": {"choices": {"tile_vectors": "1;2"}}}}}' >"$work/bad.json"
if cmake -DSOURCE_DIR="$source_dir" -DPROJECT_SOURCE_DIR="$source_dir" -DTAILOR_SCHEDULES="$work/bad.json" \
    -P "$work/probe.cmake" >"$work/cmake.log" 2>&1; then
    fail "a malformed record was taken"
fi
tr -s " \n" " " <"$work/cmake.log" | grep -q "is not a schedule choice" || { cat "$work/cmake.log"; fail "no message for it"; }
echo ok
