"""The PyTorch side of configs/datascale/run.sh: how fast torchvision reads an image folder.

Iterates one epoch of torchvision.datasets.ImageFolder(DIR/train) through a DataLoader (shuffled,
batch 128, --workers worker processes) with the transforms of configs/datascale/cnn64.yaml:
RandomCrop(64, padding=4) (zero fill), RandomHorizontalFlip, ToTensor and Normalize, and nothing
else (no model), and prints one JSON line: {"images": N, "seconds": S, "images_per_s": R}.

usage: /usr/bin/python3 torch_imagefolder.py DIR [--workers 2] [--batch 128]
"""
import argparse
import json
import time

import torch
import torchvision
from torchvision import transforms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--batch", type=int, default=128)
    a = ap.parse_args()
    tf = transforms.Compose([
        transforms.RandomCrop(64, padding=4),
        transforms.RandomHorizontalFlip(),
        transforms.ToTensor(),
        transforms.Normalize((0.5, 0.5, 0.5), (0.25, 0.25, 0.25)),
    ])
    ds = torchvision.datasets.ImageFolder(a.dir + "/train", transform=tf)
    dl = torch.utils.data.DataLoader(ds, batch_size=a.batch, shuffle=True, num_workers=a.workers)
    start = time.perf_counter()
    n = 0
    for x, y in dl:
        n += x.shape[0]
    s = time.perf_counter() - start
    print(json.dumps({"images": n, "seconds": s, "images_per_s": n / s}))


if __name__ == "__main__":
    main()
