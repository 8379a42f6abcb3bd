#!/usr/bin/python3
"""tailor predict on photos made from test images, against the originals.

  TAILOR_BINARY=build/tailor check_photos.py CHECKPOINT DATA_DIR WORK_DIR

The first 500 test images are written as the data set has them (28x28 grey
PNG) and as photos of several kinds (OpenCV writes them): enlarged,
inverted (dark on light), shifted off-centre on a larger canvas, coloured on
white, JPEG, JPEG stored sideways with an EXIF orientation, and all at once.
Each kind must be classified within 5 points of the originals' accuracy.
Then broken files among good ones: one error line each, naming the file,
the good ones still classified, exit status 1.
"""
import csv
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib

import cv2
import numpy as np

COUNT = 500
MARGIN = 0.05


def test_images(directory):
    def read(name):
        for suffix in (".gz", ""):
            path = os.path.join(directory, name + suffix)
            if os.path.exists(path):
                with (gzip.open if suffix else open)(path, "rb") as f:
                    return f.read()
        sys.exit(f"no {name} in {directory}")
    images = np.frombuffer(read("t10k-images-idx3-ubyte"), np.uint8, offset=16).reshape(-1, 28, 28)
    labels = np.frombuffer(read("t10k-labels-idx1-ubyte"), np.uint8, offset=8)
    return images[:COUNT], labels[:COUNT]


def enlarged(image, factor):
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_LINEAR)


def on_canvas(image, width, height, background, rng):
    canvas = np.full((height, width) + image.shape[2:], background, np.uint8)
    y = rng.integers(0, height - image.shape[0] + 1)
    x = rng.integers(0, width - image.shape[1] + 1)
    canvas[y:y + image.shape[0], x:x + image.shape[1]] = image
    return canvas


def coloured(ink, rng):
    """Dark-on-white grey `ink` (0 = product) as a product of a random colour on white."""
    colour = rng.integers(0, 200, 3)
    amount = (255 - ink.astype(np.float32)) / 255
    rgb = 255 - amount[..., None] * (255 - colour[None, None, :])
    return rgb.astype(np.uint8)


def with_exif_orientation(jpeg, orientation):
    """A JPEG with an EXIF APP1 segment (little-endian TIFF) holding one tag: Orientation."""
    tiff = b"II*\x00" + struct.pack("<I", 8) + struct.pack("<H", 1)
    tiff += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0) + struct.pack("<I", 0)
    payload = b"Exif\x00\x00" + tiff
    return jpeg[:2] + b"\xff\xe1" + struct.pack(">H", len(payload) + 2) + payload + jpeg[2:]


def photos(image, rng):
    inverted = 255 - image
    big = enlarged(inverted, 6)
    sideways = cv2.imencode(".jpg", np.rot90(enlarged(inverted, 4), 1))[1].tobytes()  # 90 degrees anticlockwise
    everything = on_canvas(coloured(big, rng), 300, 260, 255, rng)
    return {
        "original.png": cv2.imencode(".png", image)[1].tobytes(),
        "enlarged.png": cv2.imencode(".png", enlarged(image, 5))[1].tobytes(),
        "inverted.png": cv2.imencode(".png", inverted)[1].tobytes(),
        "shifted.png": cv2.imencode(".png", on_canvas(image, 70, 50, 0, rng))[1].tobytes(),
        "coloured.png": cv2.imencode(".png", coloured(enlarged(inverted, 3), rng))[1].tobytes(),
        "jpeg.jpg": cv2.imencode(".jpg", big, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes(),
        "exif.jpg": with_exif_orientation(sideways, 6),  # displayed rotated back clockwise
        "photo.jpg": cv2.imencode(".jpg", everything, [cv2.IMWRITE_JPEG_QUALITY, 85])[1].tobytes(),
    }


def predict(checkpoint, paths):
    binary = os.environ["TAILOR_BINARY"].split()
    result = subprocess.run(binary + ["predict", "--checkpoint", checkpoint, "--format", "csv"] + paths,
                            capture_output=True, text=True)
    return result.returncode, list(csv.DictReader(result.stdout.splitlines())), result.stderr


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def broken_files(work, good):
    with open(good, "rb") as f:
        png = f.read()
    files = {
        "truncated.png": png[: len(png) // 2],
        "text.png": b"this is not an image\n",
        # A valid header that claims 100000 x 100000 pixels.
        "bomb.png": b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 100000, 100000, 8, 0, 0, 0, 0))
        + png_chunk(b"IEND", b""),
        "truncated.jpg": cv2.imencode(".jpg", np.zeros((64, 64), np.uint8))[1].tobytes()[:300],
        # A strip longer than any photo's side (resizing costs its square).
        "strip.png": b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1000000, 8, 0, 0, 0, 0))
        + png_chunk(b"IEND", b""),
    }
    paths = []
    for name, data in files.items():
        paths.append(os.path.join(work, name))
        with open(paths[-1], "wb") as f:
            f.write(data)
    paths.append(os.path.join(work, "no_photos"))  # a directory without any
    os.makedirs(paths[-1], exist_ok=True)
    return paths


def json_output_failures(checkpoint, work, good):
    """--format json, with a file name that is not UTF-8 (JSON holds only UTF-8)."""
    latin1 = os.path.join(os.fsencode(work), b"caf\xe9.png")
    shutil.copyfile(good, latin1)
    binary = [os.fsencode(word) for word in os.environ["TAILOR_BINARY"].split()]
    result = subprocess.run(binary + [b"predict", b"--checkpoint", os.fsencode(checkpoint), b"--format", b"json",
                                      os.fsencode(good), latin1], capture_output=True)
    try:
        entries = json.loads(result.stdout)
    except ValueError as error:
        return [f"--format json: exit {result.returncode}, not JSON ({error}): {result.stderr!r}"]
    if result.returncode != 0 or len(entries) != 2 or entries[0]["predicted"] != entries[1]["predicted"]:
        return [f"--format json: exit {result.returncode}, {entries}"]
    if entries[1]["file"] != os.path.join(work, "caf\ufffd.png"):
        return [f"--format json: the Latin-1 name came out as {entries[1]['file']!r}"]
    print("--format json: both copies of one photo classified alike, the Latin-1 name with U+FFFD")
    return []


def main():
    checkpoint, data_dir, work = sys.argv[1:4]
    images, labels = test_images(data_dir)
    rng = np.random.default_rng(20261201)
    kinds = {}
    for i, image in enumerate(images):
        for kind, data in photos(image, rng).items():
            directory = os.path.join(work, kind.split(".")[0])
            os.makedirs(directory, exist_ok=True)
            path = os.path.join(directory, f"{i:04d}.{kind.split('.')[1]}")
            with open(path, "wb") as f:
                f.write(data)
            kinds.setdefault(kind.split(".")[0], directory)

    failures = []
    accuracy = {}
    for kind, directory in kinds.items():
        status, rows, errors = predict(checkpoint, [directory])
        if status != 0 or len(rows) != COUNT:
            failures.append(f"{kind}: exit {status}, {len(rows)} rows: {errors}")
            continue
        predicted = np.array([int(r["predicted"]) for r in rows])
        accuracy[kind] = float((predicted == labels).mean())
    for kind, value in accuracy.items():
        gap = accuracy["original"] - value
        print(f"{kind:10s} accuracy {value:.3f} ({gap:+.3f} below the 28x28 originals)")
        if gap > MARGIN:
            failures.append(f"{kind}: {value:.3f}, more than {MARGIN} below the originals' {accuracy['original']:.3f}")

    good = [os.path.join(kinds["original"], "0000.png"), os.path.join(kinds["photo"], "0001.jpg")]
    bad = broken_files(work, good[0])
    status, rows, errors = predict(checkpoint, [good[0]] + bad + [good[1]])
    lines = errors.splitlines()
    if status != 1 or [r["file"] for r in rows] != good:
        failures.append(f"broken files: exit {status}, classified {[r['file'] for r in rows]}")
    for path in bad:
        if sum(line.startswith(f"tailor: error: {path}: ") for line in lines) != 1:
            failures.append(f"no one-line error for {path}: {errors}")
    print(f"broken files: {len(bad)} refused, each in one line; the {len(rows)} good ones classified")
    failures += json_output_failures(checkpoint, work, good[0])
    if failures:
        sys.exit("\n".join(failures))


if __name__ == "__main__":
    main()
