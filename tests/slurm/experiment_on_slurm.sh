#!/usr/bin/env bash
# tailor experiment --executor slurm on a one-node cluster of its own
# (cluster.sh), against the same experiment run locally: 2 architectures x
# 2 seeds, 1 epoch on 400 images. Runs are deterministic, so every run's
# accuracies must be the same. The cluster's MaxArraySize is 3, so the four
# runs go out as two arrays. Then one run is made to fail (a file where its
# run directory goes): the command fails naming it, and the next one, with
# --no-wait, resubmits only it; a last one waits and collects. A grid with a
# diverging learning rate shows that run as diverged and finishes.
#   TAILOR_BINARY=build/tailor experiment_on_slurm.sh DATA_DIR
# Needs root and Debian's munge, slurmctld, slurmd and slurm-client; without
# them it is skipped (exit 77), unless TAILOR_REQUIRE_SLURM=1 (CI).
set -euo pipefail
data="$1"
here="$(cd "$(dirname "$0")" && pwd)"

missing=""
[ "$(id -u)" -eq 0 ] || missing="root"
for program in munged slurmctld slurmd sbatch squeue scontrol; do
    command -v "$program" >/dev/null || missing="$missing $program"
done
if [ -n "$missing" ]; then
    echo "needs:$missing"
    [ "${TAILOR_REQUIRE_SLURM:-0}" = 1 ] && exit 1
    exit 77
fi

source "$here/cluster.sh"
work="$(mktemp -d)"
trap 'cluster_stop; rm -rf "$work"' EXIT
cluster_start "$work/cluster" 3

# Each run gets half the cores in both executors, so both train alike.
cores=$(( $(nproc) / 2 > 0 ? $(nproc) / 2 : 1 ))
experiment=(experiment --arch cnn1,mlp --seeds 1,2 --epochs 1 --limit 400 --test-limit 200 --data "$data")
slurm=(--executor slurm --cpus-per-task "$cores" --jobs 2)

fail() { echo "FAILED: $*"; exit 1; }
# Every column but the time a run took.
accuracies() { /usr/bin/python3 -c '
import csv, sys
for row in csv.DictReader(open(sys.argv[1])):
    row.pop("seconds")
    print(sorted(row.items()))' "$1"; }
same_as_local() {
    diff <(accuracies "$work/local/custom.csv") <(accuracies "$1/custom.csv") || fail "$1: results differ from local"
}

# TAILOR_BINARY may be an emulator and the program: split, not quoted.
$TAILOR_BINARY "${experiment[@]}" --jobs 2 --out "$work/local" >"$work/local.log" 2>&1 ||
    { cat "$work/local.log"; fail "the local experiment"; }

start=$(date +%s)
$TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --out "$work/slurm" >"$work/slurm.log" 2>&1 ||
    { cat "$work/slurm.log" "$work"/cluster/log/slurmctld.log; fail "the Slurm experiment"; }
echo "on Slurm, submit to tables: $(( $(date +%s) - start )) s"
cat "$work/slurm.log"
same_as_local "$work/slurm"
[ "$(grep -c '^submitted' "$work/slurm.log")" = 2 ] || fail "four runs with MaxArraySize 3 are not two arrays"

# One run cannot make its directory: the rest finish, the command names it.
mkdir -p "$work/retry/runs"
: >"$work/retry/runs/mlp-seed1"
if $TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --out "$work/retry" >"$work/retry.log" 2>&1; then
    cat "$work/retry.log"
    fail "an experiment with a failed run exited 0"
fi
cat "$work/retry.log"
grep -q '^run mlp-seed1 failed (Slurm job [0-9]*_[0-9]*, FAILED); see .*/slurm/logs/' "$work/retry.log" ||
    fail "the failed run is not named with its Slurm job"
grep -q '^tailor: error: .*1 of 4 runs failed on Slurm' "$work/retry.log" || fail "no error line"
log="$(sed -n 's/^run mlp-seed1 failed (Slurm job [0-9_]*, FAILED); see \([^ ]*\) .*/\1/p' "$work/retry.log")"
grep -q "cannot create or write the run directory" "$log" || fail "$log does not say why the run failed"

rm "$work/retry/runs/mlp-seed1"
finished_before="$(stat -c %Y "$work"/retry/runs/*/run.json)"
$TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --no-wait --out "$work/retry" >"$work/resubmit.log" 2>&1 ||
    { cat "$work/resubmit.log"; fail "the resubmission"; }
cat "$work/resubmit.log"
grep -q '^submitted 1 run as Slurm job array' "$work/resubmit.log" || fail "the rerun did not resubmit one run"
grep -q '^3 runs were already finished and kept' "$work/resubmit.log" || fail "the rerun did not keep three runs"
[ ! -e "$work/retry/custom.csv" ] || fail "--no-wait wrote tables"
$TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --out "$work/retry" >"$work/collect.log" 2>&1 ||
    { cat "$work/collect.log"; fail "collecting"; }
cat "$work/collect.log"
! grep -q '^submitted' "$work/collect.log" || fail "collecting submitted again"
[ "$finished_before" = "$(stat -c %Y "$work"/retry/runs/{cnn1-seed1,cnn1-seed2,mlp-seed2}/run.json)" ] ||
    fail "finished runs were trained again"
same_as_local "$work/retry"

# Ctrl-C while waiting leaves the runs to the cluster and says how to cancel.
$TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --out "$work/interrupted" >"$work/interrupted.log" 2>&1 &
waiting=$!
for _ in $(seq 1 600); do
    grep -q '^slurm: ' "$work/interrupted.log" && break
    sleep 0.1
done
grep -q '^slurm: ' "$work/interrupted.log" || { cat "$work/interrupted.log"; fail "no submission in 60 s"; }
kill -INT "$waiting"
status=0
wait "$waiting" || status=$?
cat "$work/interrupted.log"
[ "$status" = 130 ] || fail "an interrupted wait exited $status, not 130"
grep -q '^tailor: stopped waiting (SIGINT); the Slurm jobs keep running: .* scancel [0-9]' \
    "$work/interrupted.log" || fail "the interrupted wait does not say how to collect or cancel"
[ -n "$(squeue --me --noheader)" ] || fail "the interrupt cancelled the Slurm jobs"
# As if tailor had been killed between sbatch and its record: the arrays are
# found again by their tags, not submitted twice.
/usr/bin/python3 -c '
import json, sys
record = json.load(open(sys.argv[1]))
for array in record["arrays"]:
    array["job_id"] = ""
json.dump(record, open(sys.argv[1], "w"))' "$work/interrupted/slurm/submissions.json"
if $TAILOR_BINARY "${experiment[@]}" --out "$work/interrupted" >"$work/local-too.log" 2>&1; then
    fail "a local run of an experiment whose runs are on Slurm was not refused"
fi
grep -q '^tailor: error: .*queued or running on Slurm' "$work/local-too.log" || fail "no error line for it"
$TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --out "$work/interrupted" >"$work/interrupted.log" 2>&1 ||
    { cat "$work/interrupted.log"; fail "collecting after the interrupt"; }
! grep -q '^submitted' "$work/interrupted.log" || fail "collecting after the interrupt submitted again"
same_as_local "$work/interrupted"

# A grid run whose rate is far too high diverges: a row of the table, not a failure.
$TAILOR_BINARY experiment --preset grid --grid-lr 1e13,0.001 --epochs 1 --limit 400 --test-limit 200 --data "$data" \
    "${slurm[@]}" --out "$work/diverging" >"$work/diverging.log" 2>&1 ||
    { cat "$work/diverging.log"; fail "a grid with a diverging run"; }
/usr/bin/python3 -c '
import csv, sys
rows = {row["run"]: row for row in csv.DictReader(open(sys.argv[1]))}
assert rows["grid-lr1e13"]["outcome"] == "diverged" and rows["grid-lr1e13"]["val_accuracy"] == "", rows
assert rows["grid-lr0.001"]["outcome"] == "trained" and rows["grid-lr0.001"]["test_accuracy"] != "", rows' \
    "$work/diverging/grid.csv" || fail "the diverged run is not shown as such"

# A rejected submission is one line.
if $TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --partition nosuch --out "$work/rejected" \
    >"$work/rejected.log" 2>&1; then
    fail "an experiment on a partition that does not exist exited 0"
fi
cat "$work/rejected.log"
grep -q '^tailor: error: sbatch: error: .*partition' "$work/rejected.log" || fail "no error line for the rejection"

# A cluster that does not answer is one line, and nothing is written.
cluster_stop
if $TAILOR_BINARY "${experiment[@]}" "${slurm[@]}" --out "$work/unreachable" >"$work/unreachable.log" 2>&1; then
    fail "an experiment without a cluster exited 0"
fi
cat "$work/unreachable.log"
[ "$(grep -c . "$work/unreachable.log")" = 1 ] && grep -q '^tailor: error: squeue: ' "$work/unreachable.log" ||
    fail "an unreachable cluster is not one error line"
[ ! -e "$work/unreachable" ] || fail "an experiment without a cluster wrote $work/unreachable"
echo "ok"
