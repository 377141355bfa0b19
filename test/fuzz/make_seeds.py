#!/usr/bin/env python3
"""Writes the seed corpus of each fuzz target into test/fuzz/corpus/<target>/.
The seeds are committed; this script only says how they were made."""
import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])  # RFC 6455's example mask


def frame(payload, opcode=1, fin=True, masked=True, rsv=0, form=None):
    out = bytes([(0x80 if fin else 0) | rsv | opcode])
    m = 0x80 if masked else 0
    n = len(payload)
    form = form or (7 if n < 126 else 16 if n <= 0xFFFF else 64)
    if form == 7:
        out += bytes([m | n])
    elif form == 16:
        out += bytes([m | 126]) + struct.pack(">H", n)
    else:
        out += bytes([m | 127]) + struct.pack(">Q", n)
    if not masked:
        return out + payload
    return out + KEY + bytes(b ^ KEY[i % 4] for i, b in enumerate(payload))


def reader_input(stream, max_bytes=256, chunks=(3, 1, 7)):
    # byte 0: the limit / 2; bytes 1-3: chunk lengths (fuzz_ws_reader.cpp)
    return bytes([max_bytes // 2, *chunks]) + stream


def ws_reader():
    say = b'{"type":"say","msg":"hi"}'
    return {
        "text": reader_input(frame(say)),
        "binary": reader_input(frame(b"\x00\x01\xff", opcode=2)),
        "unmasked": reader_input(frame(b"hi", masked=False)),
        "fragmented": reader_input(
            frame(b'{"msg":', fin=False) + frame(b"ping", opcode=9)
            + frame(b'"x"}', opcode=0)),
        "close": reader_input(frame(struct.pack(">H", 1000) + b"bye", 8)),
        "close-empty": reader_input(frame(b"", opcode=8) + frame(b"after")),
        "close-bad-code": reader_input(frame(struct.pack(">H", 1005), 8)),
        "ping-pong": reader_input(frame(b"p", 9) + frame(b"q", 10)),
        "len16": reader_input(frame(b"a" * 200), max_bytes=510),
        "len16-too-big": reader_input(frame(b"a" * 300), max_bytes=100),
        "len64-short": reader_input(frame(b"abc", form=64)),
        "bad-utf8": reader_input(frame(b"\xc3\x28")),
        "utf8-split": reader_input(
            frame("zoë👩‍💻".encode()[:4], fin=False)
            + frame("zoë👩‍💻".encode()[4:], opcode=0), chunks=(1, 2, 5)),
        "rsv": reader_input(frame(b"x", rsv=0x40)),
    }


def upgrade(flags, method, up, conn, version, key, host, origin, allowed):
    fields = [method, up, conn, version, key, host, origin, allowed]
    return bytes([flags]) + "\n".join(fields).encode()


def ws_upgrade():
    key = "dGhlIHNhbXBsZSBub25jZQ=="
    v, o = 2, 4
    return {
        "accept": upgrade(v, "GET", "websocket", "Upgrade", "13", key,
                          "localhost:8080", "", ""),
        "own-origin": upgrade(v | o, "GET", "WebSocket", "keep-alive, Upgrade",
                              " 13 ", key, "chat.example:8080",
                              "http://chat.example:8080", ""),
        "foreign": upgrade(v | o, "GET", "websocket", "upgrade", "13", key,
                           "localhost", "https://evil.example",
                           "http://good.example,https://x.example:8443"),
        "allowed-star": upgrade(v | o, "GET", "websocket", "upgrade", "13",
                                key, "[::1]:80", "null", " * "),
        "draining": upgrade(v | 1, "GET", "websocket", "upgrade", "13", key,
                            "h", "", ""),
        "http10": upgrade(v | 8, "GET", "websocket", "upgrade", "13", key,
                          "h", "", ""),
        "no-version": upgrade(0, "GET", "websocket", "upgrade", "", key, "h",
                              "", ""),
        "bad-key": upgrade(v, "GET", "websocket", "upgrade", "13", "short",
                           "h", "", ""),
        "post": upgrade(v, "POST", "websocket", "upgrade", "8", key, "h", "",
                        ""),
        "bad-list": upgrade(v | o, "GET", "websocket", "upgrade", "13", key,
                            "h", "HTTP://H:80", "ftp://x,http://h:99999"),
    }


def codec():
    return {
        "say": b'{"type":"say","msg":"hello"}',
        "say-room": b'{"type":"say","msg":"\\u00e9t\\u00e9","room":"lobby"}',
        "seed-format": b'{"msg":"hi","to_user":"bob"}',
        "whisper": b'{"type":"whisper","to":"zo\xc3\xab","msg":"psst"}',
        "join": b'{"type":"join","room":"\xe5\xb0\x8f\xe6\x98\x8e"}',
        "users": b'{"type":"users","room":null}',
        "ping": b'{"type":"ping","id":[1,2.5,"x",{"a":null}]}',
        "deep": b'{"type":"ping","id":' + b"[" * 40 + b"]" * 40 + b"}",
        "brackets-in-string": b'{"msg":"[[[[\\"{{{{"}',
        "not-object": b'[1,2,3]',
        "bad-type": b'{"type":7}',
        "truncated": b'{"type":"say","msg":"abc',
    }


def validate():
    return {
        "ascii": b"alice",
        "cjk": "小明".encode(),
        "accent": "zoë".encode(),
        "emoji-zwj": "👩‍💻".encode(),
        "bidi": "alice\u202e".encode(),
        "soft-hyphen": "al\u00adice".encode(),
        "zwj-letters": "a\u200db".encode(),
        "overlong": b"\xc0\xaf",
        "surrogate": b"\xed\xa0\x80",
        "past-max": b"\xf4\x90\x80\x80",
        "long": b"x" * 33,
        "tag": "🏴\U000e0067\U000e0062\U000e007f".encode(),
    }


def percent():
    return {
        "plain": b"/index.html",
        "escapes": b"/%41%62%2e%2E%2f",
        "name": b"zo%C3%AB",
        "truncated": b"abc%4",
        "bad-hex": b"%zz",
        "plus": b"a+b%20c",
        "nul": b"%00",
    }


def static_files():
    return {
        "root": b"/",
        "index": b"/index.html?v=1#top",
        "css": b"/css/%61.css",
        "dotdot": b"/../secret.txt",
        "dotdot-encoded": b"/%2e%2e/secret.txt",
        "dotdot-mixed": b"/css/.%2E/.%2e/secret.txt",
        "symlink-out": b"/out",
        "symlink-up": b"/up/secret.txt",
        "sibling": b"/sib.html",
        "dots-file": b"/...",
        "backslash": b"/css\\..\\index.html",
        "double-slash": b"//etc/passwd",
        "dir": b"/empty",
    }


def main():
    for name, seeds in [("ws_reader", ws_reader()), ("ws_upgrade", ws_upgrade()),
                        ("codec", codec()), ("validate", validate()),
                        ("percent", percent()),
                        ("static_files", static_files())]:
        folder = os.path.join(HERE, "corpus", name)
        os.makedirs(folder, exist_ok=True)
        for seed, data in seeds.items():
            with open(os.path.join(folder, seed), "wb") as f:
                f.write(data)


if __name__ == "__main__":
    main()
