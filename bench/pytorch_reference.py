#!/usr/bin/env python3
"""The report's cnn3 in PyTorch (Debian's python3-torch), timed the way
bench_training times tailor: a training step (forward, backward, Adam) and
inference on random images, at several batch sizes, on a fixed number of
threads. Prints one JSON object: {"train_step": {batch: images/s},
"inference": {batch: images/s}, "latency_ms": one image, ...}.

--config installed runs PyTorch as it comes; --config fast the fastest ways
it offers on a CPU: the channels_last memory format (oneDNN's blocked
convolutions) for training and inference, and for inference a TorchScript
module frozen and optimized for inference (convolutions fused with their
ReLUs). The allocator and OpenMP settings that go with it are environment
variables, set by whoever starts this (compare_pytorch.py)."""

import argparse
import json
import statistics
import time

import torch
from torch import nn


def cnn3() -> nn.Module:
    # Keras's layers in PyTorch's channels-first layout; same shapes and
    # parameter count (241,546).
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Dropout(0.2),
        nn.Conv2d(64, 128, 3), nn.ReLU(), nn.Dropout(0.2),
        nn.Flatten(),
        nn.Linear(1152, 128), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(128, 10))


def median_seconds(run, repetitions: int, min_seconds: float) -> float:
    """Median time of one call over `repetitions` rounds of at least
    `min_seconds` each, after one warm-up round."""
    rounds = []
    for _ in range(repetitions + 1):
        calls, start = 0, time.perf_counter()
        while True:
            run()
            calls += 1
            elapsed = time.perf_counter() - start
            if elapsed >= min_seconds:
                break
        rounds.append(elapsed / calls)
    return statistics.median(rounds[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batches", default="32,128,256")
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--config", choices=["installed", "fast"], default="installed")
    args = parser.parse_args()
    fast = args.config == "fast"
    memory_format = torch.channels_last if fast else torch.contiguous_format

    torch.manual_seed(1)
    torch.set_num_threads(args.threads)
    model = cnn3().to(memory_format=memory_format)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, eps=1e-7)
    loss_function = nn.CrossEntropyLoss()
    result = {"torch_version": torch.__version__, "threads": args.threads,
              "parameters": sum(p.numel() for p in model.parameters()),
              "config": args.config, "train_step": {}, "inference": {}}

    def inference_model(example):
        model.eval()
        if not fast:
            return model
        with torch.no_grad():
            frozen = torch.jit.freeze(torch.jit.trace(model, example))
            return torch.jit.optimize_for_inference(frozen)

    for batch in [int(b) for b in args.batches.split(",")]:
        images = torch.rand(batch, 1, 28, 28).contiguous(memory_format=memory_format)
        labels = torch.randint(0, 10, (batch,))

        def train_step():
            optimizer.zero_grad(set_to_none=True)
            loss_function(model(images), labels).backward()
            optimizer.step()

        model.train()
        seconds = median_seconds(train_step, args.repetitions, args.min_seconds)
        result["train_step"][str(batch)] = batch / seconds

        infer = inference_model(images)
        with torch.no_grad():
            seconds = median_seconds(lambda: torch.softmax(infer(images), 1), args.repetitions, args.min_seconds)
        result["inference"][str(batch)] = batch / seconds

    one = torch.rand(1, 1, 28, 28).contiguous(memory_format=memory_format)
    infer = inference_model(one)
    with torch.no_grad():
        result["latency_ms"] = 1e3 * median_seconds(lambda: torch.softmax(infer(one), 1), args.repetitions,
                                                    args.min_seconds)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
