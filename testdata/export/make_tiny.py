"""Writes tiny.safetensors, the fixture of pkg/export's TestParseSafetensorsFixture: a file
laid out by another writer than nettrain's (Python's json with sorted keys and no padding of
the header), following the safetensors format: u64 little-endian header length, the JSON
header, the little-endian data. Run: python3 make_tiny.py (no third-party package needed)."""
import json
import struct

data = struct.pack("<q", 42) + struct.pack("<4f", 1, 2, 3, 4)
header = {
    "__metadata__": {"format": "pt"},
    "bn.num_batches_tracked": {"dtype": "I64", "shape": [], "data_offsets": [0, 8]},
    "fc.weight": {"dtype": "F32", "shape": [2, 2], "data_offsets": [8, 24]},
}
h = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
with open("tiny.safetensors", "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + data)
