#!/usr/bin/python3
"""Checks an ONNX file tailor exported against tailor's own evaluation.

  check_model.py MODEL.onnx DATA_DIR PREDICTIONS.csv

ONNX's checker (Debian's python3-onnx) must accept MODEL (full check: with
shape inference), and OpenCV's dnn module (python3-opencv) must run it on the
first test images of DATA_DIR (IDX, gzip'd or not) to the probabilities
`tailor evaluate` wrote in PREDICTIONS.csv: at most 1e-4 apart, and the
class tailor predicted for every image.
"""
import csv
import gzip
import os
import sys

import cv2
import numpy as np
import onnx

TOLERANCE = 1e-4


def read_idx_images(directory):
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-images-idx3-ubyte"):
        path = os.path.join(directory, name)
        if os.path.exists(path):
            opener = gzip.open if name.endswith(".gz") else open
            with opener(path, "rb") as f:
                data = f.read()
            count = int.from_bytes(data[4:8], "big")
            return np.frombuffer(data, np.uint8, offset=16).reshape(count, 1, 28, 28)
    sys.exit(f"check_model: no t10k images in {directory}")


def main():
    model_path, data_dir, predictions_path = sys.argv[1:4]
    model = onnx.load(model_path)
    onnx.checker.check_model(model, full_check=True)
    metadata = {p.key: p.value for p in model.metadata_props}
    assert "class_names" in metadata and "input" in metadata, metadata

    with open(predictions_path) as f:
        rows = list(csv.DictReader(f))
    indices = [int(r["index"]) for r in rows]
    expected = np.array([[float(r[f"p{c}"]) for c in range(10)] for r in rows])
    predicted = np.array([int(r["predicted"]) for r in rows])

    images = read_idx_images(data_dir)[indices].astype(np.float32) / 255.0
    net = cv2.dnn.readNetFromONNX(model_path)
    net.setInput(images)
    got = net.forward()

    difference = np.abs(got - expected).max()
    disagreements = int((got.argmax(1) != predicted).sum())
    print(f"{model_path}: {len(rows)} images, max |OpenCV - tailor| = {difference:.2e}, "
          f"{disagreements} different classes")
    if difference > TOLERANCE or disagreements > 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
