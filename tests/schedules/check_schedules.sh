#!/usr/bin/env bash
# Tuned schedules in the build, on conv2d_3's forward kernel (and dense_2's
# for a GPU; one of each other kind of choice):
# - the generator takes a record's choices (the same choices twice: the same
#   object; others: another) and refuses a choice the kernel does not have,
#   for a CPU target and for a GPU's thread block;
# - CMake turns a record into the generator's `schedule` parameter, and
#   refuses a malformed one.
# (tests/schedules/check_tune.sh checks the tuner that writes records.)
#   check_schedules.sh GENERATOR_BINARY SOURCE_DIR
set -euo pipefail
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
fail() { echo "FAILED: $*"; exit 1; }
generator="$1"
source_dir="$2"

params=(width=5 height=5 in_channels=64 out_channels=128 relu=true)
target=x86-64-linux-sse41-avx-f16c-fma-avx2-avx512-avx512_skylake
# Each into a folder of its own, under one function name: the name is in the code.
compile() {
    mkdir -p "$work/$1"
    "$generator" -g conv2d_forward -o "$work/$1" -e "${emit:-object}" -f conv target=$target "${params[@]}" "${@:2}"
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
emit=stmt compile split "schedule=x86-avx512@image_tasks:1"
emit=stmt compile hand
! cmp -s "$work/hand/conv.stmt" "$work/split/conv.stmt" || fail "image_tasks changed nothing"

# Every other kind of choice changes its kernel: GENERATOR NAME PARAMS...
# then the choice, against the generator's hand schedule (made once; the
# lowered statements, which show a schedule without compiling it). The
# element-wise kernels share one schedule (generators/elementwise.h):
# dropout stands for them.
changes() {
    local hand="$work/hand-$1-${*:3:$#-3}"
    hand="${hand// /_}"
    if [ ! -f "$hand/conv.stmt" ]; then
        mkdir -p "$hand"
        "$generator" -g "$1" -o "$hand" -e stmt -f conv target=$target "${@:3:$#-3}"
    fi
    mkdir -p "$work/$2"
    "$generator" -g "$1" -o "$work/$2" -e stmt -f conv target=$target "${@:3}"
    ! cmp -s "$hand/conv.stmt" "$work/$2/conv.stmt" || fail "$2 changed nothing in $1"
}
changes conv2d_backward_data dz_per_image "${params[@]}" "schedule=x86-avx512@dz_per_image:0"
changes conv2d_forward_winograd tile_images "${params[@]}" "schedule=x86-avx512@tile_images:4"
changes conv2d_forward_winograd task_chunks "${params[@]}" "schedule=x86-avx512@task_chunks:4"
changes dense_forward image_tile_vectors inputs=1152 outputs=128 relu=true "schedule=x86-avx512@image_tile_vectors:1"
changes dropout block_vectors "schedule=x86-avx512@block_vectors:64"
changes dropout lane_vectors "schedule=x86-avx512@lane_vectors:2"

# A GPU target's choices are its thread block (compiled, not run: no device
# here), on dense_2's forward kernel, the quickest to compile.
compile() {
    mkdir -p "$work/$1"
    "$generator" -g dense_forward -o "$work/$1" -e stmt -f conv target=x86-64-linux-cuda inputs=128 outputs=10 \
        relu=false "${@:2}"
}
compile gpu-hand
compile gpu-tuned "schedule=cuda@gpu_block_x:8,gpu_block_y:4"
! cmp -s "$work/gpu-hand/conv.stmt" "$work/gpu-tuned/conv.stmt" || fail "the GPU's choices changed nothing"
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
