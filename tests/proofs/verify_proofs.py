#!/usr/bin/env python3
"""An independent verifier of pitlog's log proofs, written from the specifications alone:
RFC 9162 section 2.1 (Merkle tree, inclusion and consistency proof verification, 2.1.3.2 and
2.1.4.2), c2sp.org/signed-note (Ed25519 notes, verifier keys) and c2sp.org/tlog-checkpoint.
It shares no code with pitlog. Needs python3-cryptography (Debian) for Ed25519.

    verify_proofs.py BUNDLES.json   → "ok" and exit 0, or the first failure and exit 1

A bundle: {"verifierKey", "oldCheckpoint", "checkpoint" (signed notes),
           "inclusion": {"eventHash", "leafIndex", "treeSize", "hashes": [hex]},
           "consistency": {"from", "to", "hashes": [hex]}}; the file holds one or a list.
"""
import base64
import binascii
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey


class VerifyError(Exception):
    pass


def sha256(b):
    return hashlib.sha256(b).digest()


def leaf_hash(data):
    return sha256(b"\x00" + data)


def node_hash(left, right):
    return sha256(b"\x01" + left + right)


def b64(s):
    try:
        raw = base64.b64decode(s, validate=True)
    except (binascii.Error, ValueError):
        raise VerifyError("bad base64: %r" % s)
    if base64.b64encode(raw).decode() != s:
        raise VerifyError("non-canonical base64: %r" % s)
    return raw


def parse_vkey(vkey):
    """c2sp.org/signed-note, "Verifier keys": <name>+hex(key ID)+base64(0x01 || public key)."""
    name, sep, rest = vkey.partition("+")
    key_id_hex, sep2, key_b64 = rest.partition("+")
    if not sep or not sep2 or not name or len(key_id_hex) != 8:
        raise VerifyError("malformed verifier key")
    material = b64(key_b64)
    if len(material) != 33 or material[0] != 0x01:
        raise VerifyError("not an Ed25519 verifier key")
    key_id = sha256(name.encode() + b"\n" + material)[:4]
    if key_id.hex() != key_id_hex:
        raise VerifyError("verifier key ID does not match name and key")
    return name, key_id, Ed25519PublicKey.from_public_bytes(material[1:])


def open_note(note, vkey):
    """Returns the note text when a signature by vkey is present and all such verify."""
    name, key_id, public_key = parse_vkey(vkey)
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise VerifyError("control character in note")
    cut = note.rfind("\n\n")
    if cut < 0:
        raise VerifyError("no blank line before the signatures")
    text, sigs = note[:cut + 1], note[cut + 2:]
    if not sigs.endswith("\n"):
        raise VerifyError("signature block does not end in a newline")
    found = False
    for line in sigs[:-1].split("\n"):
        if not line.startswith("\u2014 "):
            raise VerifyError("signature line without em dash: %r" % line)
        sig_name, space, sig_b64 = line[2:].partition(" ")
        if not space or not sig_name or "+" in sig_name:
            raise VerifyError("malformed signature line: %r" % line)
        blob = b64(sig_b64)
        if len(blob) < 5:
            raise VerifyError("signature too short")
        if sig_name != name or blob[:4] != key_id:
            continue  # another key's signature: ignored, as the spec requires
        try:
            public_key.verify(blob[4:], text.encode())
        except InvalidSignature:
            raise VerifyError("signature by %s does not verify" % name)
        found = True
    if not found:
        raise VerifyError("no signature by %s" % name)
    return text


def parse_checkpoint(text):
    """c2sp.org/tlog-checkpoint: origin, tree size, base64 root hash, optional extension lines."""
    if not text.endswith("\n"):
        raise VerifyError("checkpoint does not end in a newline")
    lines = text[:-1].split("\n")
    if len(lines) < 3 or not lines[0] or any(not l for l in lines[3:]):
        raise VerifyError("malformed checkpoint")
    size = lines[1]
    if not size.isdigit() or not size.isascii() or (size != "0" and size.startswith("0")):
        raise VerifyError("malformed tree size %r" % size)
    root = b64(lines[2])
    if len(root) != 32:
        raise VerifyError("root hash is not 32 bytes")
    return lines[0], int(size), root


def verify_inclusion(index, size, leaf, path, root):
    """RFC 9162 section 2.1.3.2, step by step."""
    if index >= size:
        raise VerifyError("leaf index %d not below tree size %d" % (index, size))
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise VerifyError("inclusion proof too long")
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerifyError("inclusion proof too short")
    if r != root:
        raise VerifyError("inclusion proof does not lead to the checkpoint's root")


def verify_consistency(first, second, first_hash, second_hash, path):
    """RFC 9162 section 2.1.4.2, plus the trivial cases first == 0 and first == second."""
    if first > second:
        raise VerifyError("old size larger than new size")
    if first == 0 or first == second:
        if path:
            raise VerifyError("consistency proof must be empty")
        if first == 0 and first_hash != sha256(b""):
            raise VerifyError("old root of an empty tree is not SHA-256 of nothing")
        if first == second and first_hash != second_hash:
            raise VerifyError("same size, different roots")
        return
    if not path:
        raise VerifyError("empty consistency proof")
    path = list(path)
    if first & (first - 1) == 0:
        path.insert(0, first_hash)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            raise VerifyError("consistency proof too long")
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise VerifyError("consistency proof too short")
    if fr != first_hash:
        raise VerifyError("consistency proof does not lead to the old root")
    if sr != second_hash:
        raise VerifyError("consistency proof does not lead to the new root")


def hashes(values):
    out = [bytes.fromhex(v) for v in values]
    if any(len(h) != 32 for h in out):
        raise VerifyError("a proof hash is not 32 bytes")
    return out


def verify_bundle(b):
    origin, size, root = parse_checkpoint(open_note(b["checkpoint"], b["verifierKey"]))
    old_origin, old_size, old_root = parse_checkpoint(open_note(b["oldCheckpoint"], b["verifierKey"]))
    if old_origin != origin:
        raise VerifyError("the checkpoints are of different logs")
    inc = b["inclusion"]
    if inc["treeSize"] != size:
        raise VerifyError("inclusion proof is for another tree size than the checkpoint")
    event_hash = bytes.fromhex(inc["eventHash"])
    if len(event_hash) != 32:
        raise VerifyError("event hash is not 32 bytes")
    verify_inclusion(inc["leafIndex"], size, leaf_hash(event_hash), hashes(inc["hashes"]), root)
    con = b["consistency"]
    if con["from"] != old_size or con["to"] != size:
        raise VerifyError("consistency proof is for other sizes than the checkpoints")
    verify_consistency(old_size, size, old_root, root, hashes(con["hashes"]))


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(argv[1], encoding="utf-8") as f:
        data = json.load(f)
    try:
        for b in data if isinstance(data, list) else [data]:
            verify_bundle(b)
    except VerifyError as e:
        print("FAIL:", e)
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
