#!/usr/bin/env python3
"""Writes the binary seeds of fuzz/corpus/ (the text seeds are written by hand): a sync message
of two servers, and a node's client requests (typed and raw contents) and a peer's offloaded
items for the identity model of fuzz/kserve_request.cpp. Protobuf is encoded by hand, so that
nothing beyond the standard library is needed.

  python3 fuzz/make_seeds.py
"""

import pathlib
import struct

HERE = pathlib.Path(__file__).parent / "corpus"


def varint(n):
    n &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def field(number, payload):
    """A length-delimited field (strings, bytes, messages, packed numbers)."""
    return varint(number << 3 | 2) + varint(len(payload)) + payload


def packed(number, values, fmt=None):
    if fmt:
        return field(number, b"".join(struct.pack(fmt, v) for v in values))
    return field(number, b"".join(varint(v) for v in values))


def sync_message():
    """encode() of include/epara/sync/digest.hpp: server 1's view of servers 0 and 1."""
    out = struct.pack("<IIQI", 0x45505253, 1, 7, 2)
    for server, instances, demand in [(0, [(2, 1500, 800, 200, 12.5)], [(2, 30.0)]),
                                      (1, [(0, 0, 400, 50, 0.0), (3, 9000, 1200, 0, 3.0)], [])]:
        out += struct.pack("<IQqQHH", server, 3, 8 << 30, 250_000, len(instances), len(demand))
        for service, queue, compute, item_work, spare in instances:
            out += struct.pack("<IIIIf", service, queue, compute, item_work, spare)
        for service, rate in demand:
            out += struct.pack("<If", service, rate)
    return out


# Two items of every input of the identity model: f FP32 [2], h FP16 [2], tokens INT64 [n],
# i INT32 [1], u UINT8 [3], s BYTES [2].
def tensor(name, datatype, shape, contents=b""):
    body = field(1, name.encode()) + field(2, datatype.encode()) + packed(3, shape)
    return field(5, body + (field(5, contents) if contents else b""))


def typed_request():
    contents = {
        "f": packed(6, [1.5, -2.0, 3.0, 4.0], "<f"),
        "tokens": packed(3, [1, 2, 3, 4, 5, 6]),
        "i": packed(2, [7, (1 << 64) - 8]),  # int32 -8 as a varint
        "u": packed(4, [0, 255, 9, 1, 2, 3]),
        "s": b"".join(field(8, w) for w in [b"a", b"", b"hello", b"x"]),
    }
    shapes = {"f": [2, 2], "h": [2, 2], "tokens": [2, 3], "i": [2, 1], "u": [2, 3], "s": [2, 2]}
    types = {"f": "FP32", "h": "FP16", "tokens": "INT64", "i": "INT32", "u": "UINT8", "s": "BYTES"}
    out = field(1, b"identity")
    for name in ["f", "tokens", "i", "u", "s"]:  # FP16 travels raw only
        out += tensor(name, types[name], shapes[name], contents[name])
    return out, shapes, types


def raw_request(shapes, types):
    raw = {
        "f": struct.pack("<4f", 1.5, -2.0, 3.0, 4.0),
        "h": struct.pack("<4e", 1.0, 0.5, -2.0, 65504.0),
        "tokens": struct.pack("<6q", 1, 2, 3, 4, 5, 6),
        "i": struct.pack("<2i", 7, -8),
        "u": bytes([0, 255, 9, 1, 2, 3]),
        "s": b"".join(struct.pack("<I", len(w)) + w for w in [b"a", b"", b"hello", b"x"]),
    }
    out = field(1, b"identity")
    for name in ["f", "h", "tokens", "i", "u", "s"]:
        out += tensor(name, types[name], shapes[name])
    for name in ["f", "h", "tokens", "i", "u", "s"]:
        out += field(7, raw[name])
    return out


def peer_request():
    """An OffloadRequest of two items, each an FP32 [2] and a BYTES [1] tensor."""
    def peer_tensor(datatype, shape, data):
        return field(1, field(1, datatype.encode()) + packed(2, shape) + field(3, data))
    items = b""
    for k in range(2):
        item = peer_tensor("FP32", [2], struct.pack("<2f", k, -k)) + \
            peer_tensor("BYTES", [1], struct.pack("<I", 2) + b"ok")
        items += field(8, item)
    return field(1, b"identity") + items + field(6, b"r-1")


def main():
    (HERE / "sync_digest").mkdir(parents=True, exist_ok=True)
    (HERE / "sync_digest" / "two_servers.bin").write_bytes(sync_message())
    typed, shapes, types = typed_request()
    kserve = HERE / "kserve_request"
    kserve.mkdir(parents=True, exist_ok=True)
    # The harness's first byte picks the decoder: even, a client's request; odd, a peer's.
    (kserve / "typed.bin").write_bytes(b"\x00" + typed)
    (kserve / "raw.bin").write_bytes(b"\x00" + raw_request(shapes, types))
    (kserve / "peer.bin").write_bytes(b"\x01" + peer_request())


if __name__ == "__main__":
    main()
