#!/usr/bin/python3
"""tailor against PyTorch on the same machine, in one run: cnn3's training
step at batch 32/128/256, inference at batch 128/256 and one-image latency,
both on the same number of threads. Prints a table of images/s and the
tailor/PyTorch ratios and writes both tools' numbers to a JSON file.

  bench/compare_pytorch.py [--build build] [--threads 2] [--out bench-results/comparison.json]

Runs with Debian's /usr/bin/python3, which has python3-torch."""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
BATCHES = [32, 128, 256]


def tailor_numbers(build: pathlib.Path, threads: int, repetitions: int) -> dict:
    """Medians over `repetitions` runs of bench_training's cnn3 step and inference."""
    with tempfile.TemporaryDirectory() as scratch:
        out = pathlib.Path(scratch) / "tailor.json"
        subprocess.run([str(build / "bench" / "bench_training"),
                        "--benchmark_filter=^(machine/fma_peak|cnn3/(train_step|inference)/(1|32|128|256)/)",
                        f"--benchmark_repetitions={repetitions}", "--benchmark_report_aggregates_only=true",
                        f"--benchmark_out={out}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       env=dict(os.environ, HL_NUM_THREADS=str(threads)))
        raw = json.loads(out.read_text())
    numbers = {"train_step": {}, "inference": {}}
    for b in raw["benchmarks"]:
        name = b["name"]
        if b.get("aggregate_name") != "median":  # with repetitions, also mean, stddev and cv rows
            continue
        if name.startswith("machine/fma_peak"):
            numbers["fma_peak_gflops"] = b["GFLOP/s"]
            numbers["fma_peak_clock_ghz"] = b["clock_GHz"]
            continue
        _, kind, batch = name.split("/")[:3]
        numbers[kind][batch] = b["items_per_second"]
    numbers["latency_ms"] = 1e3 / numbers["inference"]["1"]
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", type=pathlib.Path)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--out", default="bench-results/comparison.json", type=pathlib.Path)
    args = parser.parse_args()

    tailor = tailor_numbers(args.build, args.threads, args.repetitions)
    pytorch = json.loads(subprocess.run(
        [sys.executable, str(HERE / "pytorch_reference.py"), f"--threads={args.threads}",
         f"--batches={','.join(map(str, BATCHES))}", f"--repetitions={args.repetitions}"],
        check=True, capture_output=True, text=True).stdout)

    rows = [(f"train step, batch {b} (images/s)", tailor["train_step"][str(b)], pytorch["train_step"][str(b)])
            for b in BATCHES]
    rows += [(f"inference, batch {b} (images/s)", tailor["inference"][str(b)], pytorch["inference"][str(b)])
             for b in BATCHES[1:]]
    print(f"cnn3 on {args.threads} threads; tailor's kernels vs PyTorch {pytorch['torch_version']}")
    print(f"{'':34} {'tailor':>10} {'PyTorch':>10} {'ratio':>7}")
    for label, ours, theirs in rows:
        print(f"{label:34} {ours:10,.0f} {theirs:10,.0f} {ours / theirs:6.2f}x")
    print(f"{'one image (ms)':34} {tailor['latency_ms']:10.3f} {pytorch['latency_ms']:10.3f} "
          f"{pytorch['latency_ms'] / tailor['latency_ms']:6.2f}x")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".tmp")
    partial.write_text(json.dumps({"threads": args.threads, "tailor": tailor, "pytorch": pytorch}, indent=2) + "\n")
    partial.replace(args.out)
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
