#!/usr/bin/python3
"""Decodes a TensorBoard event file with python3-protobuf and prints it as JSON.

    /usr/bin/python3 testdata/tboard/read_events.py FILE

Both CRCs of every record are checked (tbproto.unframe); a bad file exits
with status 1 and the reason on stderr. The output is a list with one object
per event: wall_time, step, file_version and values, each value with its tag,
simple_value, histo, tensor (dtype and shape), plugin_name and, for the
"hparams" plugin, the decoded HParamsPluginData. Every key is present (null
or empty when unset). Used by pkg/tboard's TestPythonReader.
"""

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tbproto  # noqa: E402

M = tbproto.load_messages()


def any_value(v):
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        return v.number_value
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "list_value":
        return [any_value(x) for x in v.list_value.values]
    return None


def hparams(content):
    d = M["HParamsPluginData"].FromString(content)
    out = {
        "version": d.version,
        "data": d.WhichOneof("data"),
        "experiment": None,
        "hparams": None,
        "group_name": "",
        "start_time_secs": 0.0,
        "status": 0,
        "end_time_secs": 0.0,
    }
    if out["data"] == "experiment":
        ex = d.experiment
        infos = []
        for h in ex.hparam_infos:
            domain = h.WhichOneof("domain")
            infos.append({
                "name": h.name,
                "display_name": h.display_name,
                "description": h.description,
                "type": h.type,
                "discrete": [any_value(x) for x in h.domain_discrete.values] if domain == "domain_discrete" else None,
                "interval": [h.domain_interval.min_value, h.domain_interval.max_value] if domain == "domain_interval" else None,
            })
        metrics = [{
            "group": m.name.group,
            "tag": m.name.tag,
            "display_name": m.display_name,
            "description": m.description,
            "dataset_type": m.dataset_type,
        } for m in ex.metric_infos]
        out["experiment"] = {
            "name": ex.name,
            "description": ex.description,
            "user": ex.user,
            "time_created_secs": ex.time_created_secs,
            "hparam_infos": infos,
            "metric_infos": metrics,
        }
    elif out["data"] == "session_start_info":
        s = d.session_start_info
        out["hparams"] = {k: any_value(v) for k, v in s.hparams.items()}
        out["group_name"] = s.group_name
        out["start_time_secs"] = s.start_time_secs
    elif out["data"] == "session_end_info":
        out["status"] = d.session_end_info.status
        out["end_time_secs"] = d.session_end_info.end_time_secs
    return out


def value(v):
    kind = v.WhichOneof("value")
    out = {
        "tag": v.tag,
        "simple_value": v.simple_value if kind == "simple_value" else None,
        "histo": None,
        "tensor": None,
        "plugin_name": v.metadata.plugin_data.plugin_name,
        "hparams": None,
    }
    if kind == "histo":
        h = v.histo
        out["histo"] = {
            "min": h.min,
            "max": h.max,
            "num": h.num,
            "sum": h.sum,
            "sum_squares": h.sum_squares,
            "bucket_limit": list(h.bucket_limit),
            "bucket": list(h.bucket),
        }
    if kind == "tensor":
        out["tensor"] = {
            "dtype": v.tensor.dtype,
            "shape": [d.size for d in v.tensor.tensor_shape.dim],
            "string_val": len(v.tensor.string_val),
        }
    if out["plugin_name"] == "hparams":
        out["hparams"] = hparams(v.metadata.plugin_data.content)
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read_events.py FILE")
    with open(sys.argv[1], "rb") as f:
        blob = f.read()
    try:
        records = tbproto.unframe(blob)
    except ValueError as e:
        sys.exit("%s: %s" % (sys.argv[1], e))
    events = []
    for i, data in enumerate(records):
        e = M["Event"].FromString(data)
        events.append({
            "wall_time": e.wall_time,
            "step": e.step,
            "file_version": e.file_version,
            "values": [value(v) for v in e.summary.value],
        })
    json.dump(events, sys.stdout, indent=1, allow_nan=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
