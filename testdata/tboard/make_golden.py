#!/usr/bin/python3
"""Writes golden.tfevents, the event file pkg/tboard's TestGolden compares its
writer with byte for byte. The messages come from python3-protobuf (the classes
are built from events.proto by tbproto.py, no protoc), the framing and CRC32C
from tbproto.py. The histograms are computed here from the NewHisto rules in
pkg/tboard/histo.go (equal-width buckets over [min, max], non-finite values
left out, float64 sums in input order), a second implementation of them.

Regenerate from the repository root with
    /usr/bin/python3 testdata/tboard/make_golden.py
The event sequence must match goldenEvents in pkg/tboard/golden_test.go.
"""

import math
import os
import struct
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbproto  # noqa: E402

M = tbproto.load_messages()


def f32(x):
    """x rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def histo(values, buckets):
    """The NewHisto histogram of the float32 values, as a HistogramProto."""
    finite = [v for v in values if math.isfinite(v)]
    h = M["HistogramProto"]()
    if not finite:
        return h
    lo, hi, total, sq = math.inf, -math.inf, 0.0, 0.0
    for x in finite:
        total += x
        sq += x * x
        lo = min(lo, x)
        hi = max(hi, x)
    h.min, h.max, h.num, h.sum, h.sum_squares = lo, hi, float(len(finite)), total, sq
    if lo == hi:
        h.bucket_limit.append(hi)
        h.bucket.append(float(len(finite)))
        return h
    width = (hi - lo) / buckets
    limits = [lo + (i + 1) * width for i in range(buckets - 1)] + [hi]
    counts = [0.0] * buckets
    for x in finite:
        counts[min(int((x - lo) / width), buckets - 1)] += 1
    h.bucket_limit.extend(limits)
    h.bucket.extend(counts)
    return h


def event(wall, step=0):
    return M["Event"](wall_time=wall, step=step)


def scalars(wall, step, pairs):
    e = event(wall, step)
    for tag, v in pairs:
        e.summary.value.add(tag=tag, simple_value=v)
    return e


def restart(wall, step):
    e = event(wall, step)
    e.session_log.status = 1  # SessionLog.START
    return e


def histogram(wall, step, tag, values, buckets):
    e = event(wall, step)
    v = e.summary.value.add(tag=tag)
    v.histo.CopyFrom(histo(values, buckets))
    return e


def hparams(wall, tag, data):
    """An HParams summary as TensorBoard writes it: plugin "hparams", the
    serialized HParamsPluginData as content, an empty DT_FLOAT tensor of
    shape [0] as the value."""
    e = event(wall)
    v = e.summary.value.add(tag=tag)
    v.metadata.plugin_data.plugin_name = "hparams"
    v.metadata.plugin_data.content = data.SerializeToString(deterministic=True)
    v.tensor.dtype = 1
    v.tensor.tensor_shape.dim.add(size=0)
    return e


def set_value(val, x):
    if x is None:
        val.null_value = 0
    elif isinstance(x, bool):
        val.bool_value = x
    elif isinstance(x, (int, float)):
        val.number_value = x
    else:
        val.string_value = x


def experiment(wall):
    d = M["HParamsPluginData"]()
    ex = d.experiment
    ex.name = "golden"
    ex.description = "tboard golden file"
    ex.time_created_secs = 1700000000.25
    lr = ex.hparam_infos.add(name="lr", display_name="learning rate", type=3)
    lr.domain_interval.min_value = 1e-4
    lr.domain_interval.max_value = 1.0
    for name, typ, values in [("optimizer", 1, ["adam", "sgd"]), ("nesterov", 2, [False, True]), ("batch", 3, [64.0, 128.0])]:
        h = ex.hparam_infos.add(name=name, type=typ)
        for x in values:
            set_value(h.domain_discrete.values.add(), x)
    ex.hparam_infos.add(name="note", description="free text")
    m = ex.metric_infos.add(display_name="test accuracy", dataset_type=2)
    m.name.tag = "test/accuracy"
    m = ex.metric_infos.add(description="mean training loss", dataset_type=1)
    m.name.tag = "train/loss"
    m = ex.metric_infos.add()
    m.name.group = "eval"
    m.name.tag = "loss"
    return hparams(wall, "_hparams_/experiment", d)


def session_start(wall):
    d = M["HParamsPluginData"]()
    s = d.session_start_info
    for name, x in [("lr", 0.01), ("optimizer", "sgd"), ("nesterov", False), ("batch", 128.0), ("zero", 0.0), ("empty", ""), ("missing", None)]:
        set_value(s.hparams[name], x)
    s.group_name = "g1"
    s.start_time_secs = 1700000000.5
    return hparams(wall, "_hparams_/session_start_info", d)


def session_end(wall):
    d = M["HParamsPluginData"]()
    d.session_end_info.status = 1
    d.session_end_info.end_time_secs = 1700000100.0
    return hparams(wall, "_hparams_/session_end_info", d)


HISTO_VALUES = [f32(x) for x in [-1.5, -0.25, 0.0, 0.125, 0.5, 0.5, 1.0, 2.75, 3.0, math.nan, math.inf, -math.inf, 0.3]]


def events():
    first = event(1700000000.0)
    first.file_version = "brain.Event:2"
    return [
        first,
        experiment(1700000001.5),
        session_start(1700000001.75),
        scalars(1700000002.0, 1, [("train/loss", f32(2.302585)), ("train/accuracy", f32(0.1))]),
        scalars(1700000002.25, 2, [("train/loss", 0.0)]),
        scalars(1700000002.5, 3, [("lr", f32(-1e-3))]),
        histogram(1700000003.0, 1 << 40, "layer1/weight", HISTO_VALUES, 4),
        histogram(1700000003.5, 5, "const", [0.5] * 4, 30),
        histogram(1700000003.75, 6, "empty", [], 30),
        scalars(1700000004.0, 7, [("test/accuracy", f32(0.9253)), ("loss", f32(0.25))]),
        session_end(1700000004.5),
        restart(1700000005.0, 4),
    ]


def main():
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "golden.tfevents")
    blob = b"".join(tbproto.frame(e.SerializeToString(deterministic=True)) for e in events())
    with open(out, "wb") as f:
        f.write(blob)
    print("wrote %s (%d bytes)" % (out, len(blob)))


if __name__ == "__main__":
    main()
