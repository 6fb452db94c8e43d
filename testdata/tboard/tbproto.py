"""Message classes for events.proto, built with python3-protobuf (no protoc),
plus TFRecord framing with a pure-Python CRC32C. Shared by make_golden.py and
read_events.py; written for pkg/tboard's tests.
"""

import os
import re
import struct

from google.protobuf import descriptor_pb2, message_factory

HERE = os.path.dirname(os.path.abspath(__file__))

_SCALARS = {
    "double": descriptor_pb2.FieldDescriptorProto.TYPE_DOUBLE,
    "float": descriptor_pb2.FieldDescriptorProto.TYPE_FLOAT,
    "int32": descriptor_pb2.FieldDescriptorProto.TYPE_INT32,
    "int64": descriptor_pb2.FieldDescriptorProto.TYPE_INT64,
    "bool": descriptor_pb2.FieldDescriptorProto.TYPE_BOOL,
    "string": descriptor_pb2.FieldDescriptorProto.TYPE_STRING,
    "bytes": descriptor_pb2.FieldDescriptorProto.TYPE_BYTES,
}
_OPTIONAL = descriptor_pb2.FieldDescriptorProto.LABEL_OPTIONAL
_REPEATED = descriptor_pb2.FieldDescriptorProto.LABEL_REPEATED
_MESSAGE = descriptor_pb2.FieldDescriptorProto.TYPE_MESSAGE


class _Tokens:
    """The tokens of a .proto file, comments removed."""

    def __init__(self, text):
        text = re.sub(r"//[^\n]*", "", text)
        self.toks = re.findall(r'"[^"]*"|[A-Za-z_][\w.]*|\d+|[{}<>=;,]', text)
        self.i = 0

    def peek(self):
        return self.toks[self.i] if self.i < len(self.toks) else None

    def next(self, want=None):
        tok = self.peek()
        if tok is None or (want is not None and tok != want):
            raise SyntaxError("events.proto: want %r, got %r at token %d" % (want, tok, self.i))
        self.i += 1
        return tok


def _set_type(field, typ, package):
    if typ in _SCALARS:
        field.type = _SCALARS[typ]
    else:
        field.type = _MESSAGE
        field.type_name = "." + package + "." + typ


def _field(toks, msg, package, oneof_index=None):
    """Parses one field declaration into msg (a DescriptorProto)."""
    label = _OPTIONAL
    if toks.peek() == "repeated":
        toks.next()
        label = _REPEATED
    typ = toks.next()
    if typ == "map":
        toks.next("<")
        key = toks.next()
        toks.next(",")
        val = toks.next()
        toks.next(">")
    name = toks.next()
    toks.next("=")
    number = int(toks.next())
    toks.next(";")
    f = msg.field.add(name=name, number=number, label=label)
    if typ == "map":
        # protoc's lowering: a repeated nested <CamelName>Entry{key=1, value=2}.
        entry = msg.nested_type.add(name="".join(p.capitalize() for p in name.split("_")) + "Entry")
        entry.options.map_entry = True
        k = entry.field.add(name="key", number=1, label=_OPTIONAL)
        _set_type(k, key, package)
        v = entry.field.add(name="value", number=2, label=_OPTIONAL)
        _set_type(v, val, package)
        f.label = _REPEATED
        f.type = _MESSAGE
        f.type_name = "." + package + "." + msg.name + "." + entry.name
    else:
        _set_type(f, typ, package)
    if oneof_index is not None:
        f.oneof_index = oneof_index


def parse_proto(text):
    """Returns the FileDescriptorProto of the subset of proto3 events.proto uses."""
    toks = _Tokens(text)
    fdp = descriptor_pb2.FileDescriptorProto(name="tboardtest/events.proto")
    while toks.peek() is not None:
        kw = toks.next()
        if kw == "syntax":
            toks.next("=")
            fdp.syntax = toks.next().strip('"')
            toks.next(";")
        elif kw == "package":
            fdp.package = toks.next()
            toks.next(";")
        elif kw == "message":
            msg = fdp.message_type.add(name=toks.next())
            toks.next("{")
            while toks.peek() != "}":
                if toks.peek() == "oneof":
                    toks.next()
                    msg.oneof_decl.add(name=toks.next())
                    toks.next("{")
                    while toks.peek() != "}":
                        _field(toks, msg, fdp.package, len(msg.oneof_decl) - 1)
                    toks.next("}")
                else:
                    _field(toks, msg, fdp.package)
            toks.next("}")
        else:
            raise SyntaxError("events.proto: unexpected %r" % kw)
    if fdp.syntax != "proto3":
        raise SyntaxError("events.proto: want syntax proto3")
    return fdp


def load_messages():
    """Returns a dict from message name (e.g. "Event") to its class."""
    with open(os.path.join(HERE, "events.proto")) as f:
        fdp = parse_proto(f.read())
    classes = message_factory.GetMessages([fdp])
    prefix = fdp.package + "."
    return {name[len(prefix):]: cls for name, cls in classes.items() if "." not in name[len(prefix):]}


def _crc_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_TABLE = _crc_table()


def crc32c(data):
    """The CRC32C (Castagnoli) of data, bit by bit from its definition."""
    c = 0xFFFFFFFF
    for b in data:
        c = _TABLE[(c ^ b) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF


def masked_crc(data):
    c = crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def frame(data):
    """data framed as one TFRecord."""
    head = struct.pack("<Q", len(data))
    return head + struct.pack("<I", masked_crc(head)) + data + struct.pack("<I", masked_crc(data))


def unframe(blob):
    """The data of every TFRecord in blob; raises ValueError on a bad CRC or truncation."""
    out, off = [], 0
    while off < len(blob):
        if len(blob) - off < 12:
            raise ValueError("record %d at byte %d: truncated header" % (len(out), off))
        head = blob[off : off + 8]
        (stored,) = struct.unpack("<I", blob[off + 8 : off + 12])
        if stored != masked_crc(head):
            raise ValueError("record %d at byte %d: length CRC mismatch" % (len(out), off))
        (n,) = struct.unpack("<Q", head)
        if len(blob) - off - 12 < n + 4:
            raise ValueError("record %d at byte %d: truncated data" % (len(out), off))
        data = blob[off + 12 : off + 12 + n]
        (stored,) = struct.unpack("<I", blob[off + 12 + n : off + 16 + n])
        if stored != masked_crc(data):
            raise ValueError("record %d at byte %d: data CRC mismatch" % (len(out), off))
        out.append(data)
        off += 16 + n
    return out
