"""The Python side of nettrain's export interop tests (pkg/export, cmd/nettrain).

    /usr/bin/python3 interop.py torch MANIFEST   # import each generated module, load, run
    /usr/bin/python3 interop.py onnx MANIFEST    # onnx.checker.check_model(full_check=True)

MANIFEST is JSON: {"cases": [{"name", "module", "weights", "onnx", "input", "shape", "raw"}]};
"input" is a file of float32 little-endian values of shape "shape" (N, C, H, W). In torch
mode, raw inputs go through the module's Preprocess first. Prints one JSON object mapping
each case's name to {"logits": [...]} (torch) or {"ok": true} (onnx), or to {"error": "..."}.
Needs torch (python3-torch) or onnx (python3-onnx) alone.
"""
import importlib.util
import json
import sys
import traceback


def read_input(case):
    import torch

    with open(case["input"], "rb") as f:
        buf = bytearray(f.read())
    return torch.frombuffer(buf, dtype=torch.float32).reshape(case["shape"])


def run_torch(case):
    import torch

    torch.set_num_threads(1)
    spec = importlib.util.spec_from_file_location("exported_" + case["name"], case["module"])
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    model, preprocess, metadata = mod.load(case["weights"])  # load_state_dict(strict=True)
    for name, t in model.state_dict().items():
        if name.endswith("num_batches_tracked") and (t.dtype != torch.int64 or t.dim() != 0):
            raise AssertionError("%s: %s %s, want an int64 scalar" % (name, t.dtype, tuple(t.shape)))
    x = read_input(case)
    with torch.no_grad():
        if case["raw"]:
            x = preprocess(x)
        y = model(x)
    if tuple(y.shape) != (x.shape[0], mod.CLASSES):
        raise AssertionError("logits of shape %s, want (%d, %d)" % (tuple(y.shape), x.shape[0], mod.CLASSES))
    return {"logits": y.flatten().tolist(), "metadata": metadata}


def run_onnx(case):
    import onnx

    onnx.checker.check_model(case["onnx"], full_check=True)
    m = onnx.load(case["onnx"])
    opsets = {o.domain: o.version for o in m.opset_import}
    if opsets != {"": 13}:
        raise AssertionError("opset_import %s, want {'': 13}" % opsets)
    return {"ok": True}


def main():
    mode, manifest = sys.argv[1], sys.argv[2]
    run = {"torch": run_torch, "onnx": run_onnx}[mode]
    with open(manifest) as f:
        cases = json.load(f)["cases"]
    out = {}
    for case in cases:
        try:
            out[case["name"]] = run(case)
        except Exception as e:  # reported per case by the Go test
            out[case["name"]] = {"error": "%s: %s\n%s" % (type(e).__name__, e, traceback.format_exc())}
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
