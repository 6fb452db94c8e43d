// Package checkpoint saves and loads named float32 tensors plus string
// metadata in a versioned, checksummed file, written atomically.
//
// # On-disk format (format version 1)
//
// The container is the safetensors layout, so the files can be read directly
// by numpy and PyTorch users:
//
//	offset 0      uint64, little-endian: N, the length of the JSON header
//	offset 8      N bytes: UTF-8 JSON header, padded with trailing spaces (0x20)
//	              so that the data section starts at an offset divisible by 8
//	offset 8+N    data section: the raw little-endian tensor bytes
//
// The header is one JSON object. The key "__metadata__" comes first and maps
// string keys to string values (sorted by key). Every other key is a tensor
// name, in the checkpoint's tensor order, mapping to
//
//	{"dtype":"F32","shape":[d0,d1,...],"data_offsets":[begin,end]}
//
// The dtype is always "F32" (IEEE 754 binary32, little-endian). Shape is
// row-major; [] is a scalar (one element) and a zero dimension gives an empty
// tensor. begin and end are byte offsets relative to the start of the data
// section; tensors are laid out contiguously in header order with no gaps:
// the first begins at 0, each begins where the previous one ends, end-begin
// equals 4*product(shape), and the last end equals the length of the data
// section (the file size is exactly 8+N+end). Writers emit compact JSON (no
// whitespace other than the trailing padding; strings escape only '"', '\'
// and control characters); readers accept only this canonical header.
//
// # Reserved metadata keys
//
// Save and Encode add three keys to the caller's metadata; a caller key with
// one of these names is an error, and Load/Decode remove them again:
//
//	"format"          always "nettrain-checkpoint" (Format)
//	"format_version"  the decimal format version, currently "1" (Version)
//	"checksum"        "sha256:" followed by 64 lowercase hex digits
//
// # Checksum
//
// The checksum is SHA-256 over a canonical serialization, not over the JSON
// text. With u64(x) an 8-byte little-endian unsigned integer and str(s) =
// u64(len(s)) followed by the UTF-8 bytes of s, the hashed byte stream is:
//
//	u64(number of tensors)
//	for each tensor, in order:
//	    str(name) str(dtype) u64(len(shape)) u64(dim)... u64(begin) u64(end)
//	u64(number of metadata entries, excluding "checksum")
//	for each metadata entry except "checksum", sorted by key (bytewise):
//	    str(key) str(value)
//	u64(length of the data section)
//	the data section bytes
//
// This covers the tensor table, every metadata entry (including "format" and
// "format_version") and all data. Together with the canonical-header rule
// and the exact-length rule, any change to any byte of a file is detected.
//
// # Verification order
//
// Load and Decode report the first failing check of: file shorter than 8
// bytes; header length absurdly large (over 100 MB) or past the end of the
// file; header not valid UTF-8 JSON (one object, duplicate keys rejected,
// only spaces after it); missing "__metadata__" or wrong "format"; missing,
// non-integer or unsupported "format_version"; tensor entries that are
// malformed or have a dtype other than F32; negative dimensions or an
// element count that does not match the offsets; offsets that are reversed,
// overlap, are out of order, leave gaps or do not exactly cover the data
// section; missing or mismatched checksum; a header that is not canonical.
//
// # Versioning policy
//
// Any change to the layout, the header, the reserved keys or the checksum
// definition increments Version. A build reads exactly its own Version: a
// file with a higher version is rejected with a hint to upgrade nettrain,
// one with a lower version is rejected as an older format. Caller metadata
// keys may be added freely without a version change.
//
// # Reading from Python
//
// With the safetensors package (the metadata comes back via safe_open):
//
//	from safetensors.numpy import load_file   # or safetensors.torch
//	tensors = load_file("best.ckpt")           # dict name -> array
//	from safetensors import safe_open
//	with safe_open("best.ckpt", "np") as f:
//	    meta = f.metadata()
//
// By hand, with numpy only:
//
//	import json, struct, numpy as np
//	with open("best.ckpt", "rb") as fh:
//	    n = struct.unpack("<Q", fh.read(8))[0]
//	    header = json.loads(fh.read(n))
//	    data = fh.read()
//	meta = header.pop("__metadata__")
//	tensors = {name: np.frombuffer(data[e["data_offsets"][0]:e["data_offsets"][1]],
//	                               dtype="<f4").reshape(e["shape"])
//	           for name, e in header.items()}   # in checkpoint order
//
// Verifying the checksum in Python (standard library only):
//
//	import hashlib
//	def u64(x): return struct.pack("<Q", x)
//	def s(x): b = x.encode(); return u64(len(b)) + b
//	h = hashlib.sha256(u64(len(header)))
//	for name, e in header.items():
//	    h.update(s(name) + s(e["dtype"]) + u64(len(e["shape"])))
//	    h.update(b"".join(u64(d) for d in e["shape"]))
//	    h.update(u64(e["data_offsets"][0]) + u64(e["data_offsets"][1]))
//	keys = sorted((k for k in meta if k != "checksum"), key=lambda k: k.encode())
//	h.update(u64(len(keys)) + b"".join(s(k) + s(meta[k]) for k in keys))
//	h.update(u64(len(data)) + data)
//	assert meta["checksum"] == "sha256:" + h.hexdigest()
package checkpoint
