#!/usr/bin/env python3
"""Regenerate the small Fashion-MNIST subset in this folder.

Takes the first N_TRAIN training and the first N_TEST test examples from the
full Fashion-MNIST IDX files and writes them, gzipped, under the standard
file names. Python 3 standard library only (gzip, struct).

Usage (from the repository root):

    python3 testdata/fashion-mnist-small/make_subset.py \
        [SRC_DIR] [OUT_DIR]

SRC_DIR defaults to /usr/share/datasets/fashion-mnist (Debian package
dataset-fashion-mnist); OUT_DIR defaults to the folder of this script.
The output is byte-for-byte reproducible (gzip mtime 0, no file name).
"""

import gzip
import os
import struct
import sys

N_TRAIN = 2000
N_TEST = 500

CLASS_NAMES = [
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
]


def read_idx(path):
    """Return (dims, payload bytes) of a (possibly gzipped) ubyte IDX file."""
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise SystemExit("%s: not an unsigned-byte IDX file" % path)
    ndim = raw[3]
    dims = list(struct.unpack(">%dI" % ndim, raw[4:4 + 4 * ndim]))
    data = raw[4 + 4 * ndim:]
    size = 1
    for d in dims:
        size *= d
    if len(data) != size:
        raise SystemExit("%s: expected %d data bytes, got %d" % (path, size, len(data)))
    return dims, data


def write_idx_gz(path, dims, data):
    header = struct.pack(">BBBB", 0, 0, 0x08, len(dims))
    header += struct.pack(">%dI" % len(dims), *dims)
    with open(path, "wb") as raw:
        # mtime=0 and an empty file name make the output reproducible.
        with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as f:
            f.write(header)
            f.write(data)


def subset(src, out, prefix, n):
    img_dims, img = read_idx(os.path.join(src, prefix + "-images-idx3-ubyte.gz"))
    lab_dims, lab = read_idx(os.path.join(src, prefix + "-labels-idx1-ubyte.gz"))
    if len(img_dims) != 3 or len(lab_dims) != 1 or img_dims[0] != lab_dims[0]:
        raise SystemExit("unexpected dims %r / %r" % (img_dims, lab_dims))
    if n > img_dims[0]:
        raise SystemExit("asked for %d examples, source has %d" % (n, img_dims[0]))
    per = img_dims[1] * img_dims[2]
    write_idx_gz(os.path.join(out, prefix + "-images-idx3-ubyte.gz"),
                 [n, img_dims[1], img_dims[2]], img[:n * per])
    write_idx_gz(os.path.join(out, prefix + "-labels-idx1-ubyte.gz"),
                 [n], lab[:n])
    counts = [0] * 10
    for b in lab[:n]:
        counts[b] += 1
    print("%s: %d examples, %dx%d" % (prefix, n, img_dims[1], img_dims[2]))
    for i, c in enumerate(counts):
        print("  %d %-12s %d" % (i, CLASS_NAMES[i], c))


def main():
    src = sys.argv[1] if len(sys.argv) > 1 else "/usr/share/datasets/fashion-mnist"
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
    subset(src, out, "train", N_TRAIN)
    subset(src, out, "t10k", N_TEST)


if __name__ == "__main__":
    main()
