#!/usr/bin/python3
"""tailor against PyTorch on the same machine, in one run: cnn3's training
step at batch 32/128/256, inference at batch 128/256 and one-image latency,
both on the same number of threads. PyTorch runs in three configurations
(pytorch_reference.py): as installed; "fast" (channels_last, and a frozen,
inference-optimized TorchScript module for inference); and "fast" with
glibc's allocator told to keep freed memory (no mmap/munmap, so no page
faults, for each batch's activations) and OpenMP's threads pinned and kept
spinning. Prints images/s, PyTorch as installed and at its best (the best
configuration for each row), the ratios, and writes everything to a JSON
file.

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


def pytorch_configurations(threads: int) -> dict:
    """Each configuration's pytorch_reference.py --config and environment."""
    # glibc keeps freed blocks up to 32 MiB (its largest mmap threshold) on
    # the heap and never trims it; OpenMP's threads stay on their cores.
    allocator_and_threads = {
        "GLIBC_TUNABLES": "glibc.malloc.mmap_threshold=33554432:glibc.malloc.trim_threshold=4294967296",
        "OMP_NUM_THREADS": str(threads), "OMP_PROC_BIND": "close", "OMP_PLACES": "cores",
        "OMP_WAIT_POLICY": "ACTIVE"}
    return {"installed": ("installed", {}), "fast": ("fast", {}),
            "fast + allocator + OpenMP": ("fast", allocator_and_threads)}


def pytorch_numbers(config: str, environment: dict, args) -> dict:
    return json.loads(subprocess.run(
        [sys.executable, str(HERE / "pytorch_reference.py"), f"--threads={args.threads}",
         f"--batches={','.join(map(str, BATCHES))}", f"--repetitions={args.repetitions}", f"--config={config}"],
        check=True, capture_output=True, text=True, env=dict(os.environ, **environment)).stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build", type=pathlib.Path)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--out", default="bench-results/comparison.json", type=pathlib.Path)
    args = parser.parse_args()
    try:
        import torch  # noqa: F401  (pytorch_reference.py runs it; checked here before tailor's minutes)
    except ImportError:
        sys.exit("compare_pytorch: error: python3-torch is not installed for " + sys.executable +
                 " (bash scripts/setup --bench)")

    tailor = tailor_numbers(args.build, args.threads, args.repetitions)
    configurations = {name: pytorch_numbers(config, environment, args)
                      for name, (config, environment) in pytorch_configurations(args.threads).items()}
    installed = configurations["installed"]
    print(f"cnn3 on {args.threads} threads; tailor's kernels vs PyTorch {installed['torch_version']} "
          f"(ratios: tailor / PyTorch)")
    print(f"{'':32} {'tailor':>9} {'installed':>10} {'ratio':>7} {'best':>9} {'ratio':>7}  best configuration")
    rows = [("train_step", str(b), f"train step, batch {b}") for b in BATCHES]
    rows += [("inference", str(b), f"inference, batch {b}") for b in BATCHES[1:]]
    best = {"train_step": {}, "inference": {}}
    for kind, batch, label in rows:
        name = max(configurations, key=lambda c: configurations[c][kind][batch])
        theirs, ours = configurations[name][kind][batch], tailor[kind][batch]
        best[kind][batch] = {"images_per_second": theirs, "configuration": name}
        print(f"{label + ' (images/s)':32} {ours:9,.0f} {installed[kind][batch]:10,.0f} "
              f"{ours / installed[kind][batch]:6.2f}x {theirs:9,.0f} {ours / theirs:6.2f}x  {name}")
    name = min(configurations, key=lambda c: configurations[c]["latency_ms"])
    theirs = configurations[name]["latency_ms"]
    best["latency_ms"] = {"ms": theirs, "configuration": name}
    print(f"{'one image (ms)':32} {tailor['latency_ms']:9.3f} {installed['latency_ms']:10.3f} "
          f"{installed['latency_ms'] / tailor['latency_ms']:6.2f}x {theirs:9.3f} "
          f"{theirs / tailor['latency_ms']:6.2f}x  {name}")

    args.out.parent.mkdir(parents=True, exist_ok=True)
    partial = args.out.with_suffix(".tmp")
    partial.write_text(json.dumps({"threads": args.threads, "tailor": tailor, "pytorch": configurations,
                                   "pytorch_best": best}, indent=2) + "\n")
    partial.replace(args.out)
    print(f"written: {args.out}")


if __name__ == "__main__":
    main()
