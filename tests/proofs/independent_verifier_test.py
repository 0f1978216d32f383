#!/usr/bin/env python3
"""CTest driver: pitlog's proof_fixture writes signed checkpoints and proofs; verify_proofs.py,
written from the specifications, must accept every one and refuse every altered one.

    independent_verifier_test.py PROOF_FIXTURE
"""
import copy
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verify_proofs as v  # noqa: E402

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)


def refused(bundle, what):
    try:
        v.verify_bundle(bundle)
    except v.VerifyError:
        return
    failures.append("accepted an altered bundle: " + what)


def flip_hex(h, bit):
    b = bytearray(bytes.fromhex(h))
    b[bit // 8] ^= 1 << (bit % 8)
    return b.hex()


def self_check():
    """The script against published answers first, so its verdicts on pitlog mean something."""
    # RFC 6962 test vectors (github.com/transparency-dev/merkle testonly/constants.go): the root
    # of the 8 leaves, the inclusion proof of leaf 5 and the consistency proof 6 → 8.
    leaves = [bytes.fromhex(x) for x in
              ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
               "606162636465666768696a6b6c6d6e6f"]]
    root6 = bytes.fromhex("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef")
    root8 = bytes.fromhex("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328")
    v.verify_inclusion(5, 8, v.leaf_hash(leaves[5]), [bytes.fromhex(x) for x in [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]], root8)
    v.verify_consistency(6, 8, root6, root8, [bytes.fromhex(x) for x in [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]])
    # c2sp.org/signed-note's example verifier key and note.
    vkey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k"
    note = ("This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6"
            "TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n")
    check(v.open_note(note, vkey) == "This is an example message.\n", "spec example note")


def mutations(b):
    """(description, altered bundle) for every alteration that must be refused."""
    out = []

    def alt(what, fn):
        c = copy.deepcopy(b)
        fn(c)
        out.append((what, c))

    for section in ("inclusion", "consistency"):
        for i in range(len(b[section]["hashes"])):
            for bit in (0, 7, 100, 255):
                alt("%s hash %d bit %d" % (section, i, bit),
                    lambda c, s=section, i=i, bit=bit:
                        c[s]["hashes"].__setitem__(i, flip_hex(c[s]["hashes"][i], bit)))
        alt(section + " hash appended", lambda c, s=section: c[s]["hashes"].append("00" * 32))
        if b[section]["hashes"]:
            alt(section + " hash removed", lambda c, s=section: c[s]["hashes"].pop())
    for bit in (0, 128, 255):
        alt("event hash bit %d" % bit,
            lambda c, bit=bit: c["inclusion"].__setitem__("eventHash",
                                                           flip_hex(c["inclusion"]["eventHash"], bit)))
    if b["inclusion"]["treeSize"] > 1:
        alt("leaf index + 1", lambda c: c["inclusion"].__setitem__(
            "leafIndex", (c["inclusion"]["leafIndex"] + 1) % c["inclusion"]["treeSize"]))
    for key in ("checkpoint", "oldCheckpoint"):
        note = b[key]
        body_end = note.index("\n\n")
        lines = note[:body_end].split("\n")
        size = int(lines[1])
        alt(key + " tree size + 1", lambda c, k=key, l=lines, s=size:
            c.__setitem__(k, c[k].replace("\n%d\n" % s, "\n%d\n" % (s + 1), 1)))
        root = lines[2]
        other = root[:5] + ("A" if root[5] != "A" else "B") + root[6:]
        alt(key + " root hash", lambda c, k=key, r=root, o=other: c.__setitem__(k, c[k].replace(r, o)))
        sig_at = note.rindex(" ") + 10
        alt(key + " signature", lambda c, k=key, at=sig_at: c.__setitem__(
            k, c[k][:at] + ("A" if c[k][at] != "A" else "B") + c[k][at + 1:]))
        alt(key + " origin", lambda c, k=key: c.__setitem__(k, c[k].replace("pitlog/", "pitlog:", 1)))
        alt(key + " without final newline", lambda c, k=key: c.__setitem__(k, c[k][:-1]))
    alt("another verifier key", lambda c: c.__setitem__(
        "verifierKey", "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"))
    return out


def main():
    fixture = sys.argv[1]
    self_check()
    work = tempfile.mkdtemp(prefix="pitlog-proofs-")
    try:
        subprocess.run([fixture, work], check=True)
        mode = stat.S_IMODE(os.stat(os.path.join(work, "log-signing.key")).st_mode)
        check(mode == 0o600, "key file mode %o, not 600" % mode)
        path = os.path.join(work, "bundles.json")
        with open(path, encoding="utf-8") as f:
            bundles = json.load(f)
        check(len(bundles) == 8, "expected 8 bundles, got %d" % len(bundles))
        cli = subprocess.run([sys.executable, v.__file__, path], capture_output=True, text=True)
        check(cli.returncode == 0 and cli.stdout == "ok\n", "verify_proofs.py said " + cli.stdout)
        count = 0
        for b in bundles:
            v.verify_bundle(b)
            for what, altered in mutations(b):
                count += 1
                refused(altered, "%s (sizes %s→%s)" % (what, b["consistency"]["from"],
                                                      b["consistency"]["to"]))
        with open(os.path.join(work, "altered.json"), "w", encoding="utf-8") as f:
            json.dump(mutations(bundles[4])[0][1], f)
        cli = subprocess.run([sys.executable, v.__file__, os.path.join(work, "altered.json")],
                             capture_output=True, text=True)
        check(cli.returncode == 1 and cli.stdout.startswith("FAIL: "), "CLI accepted an altered bundle")
        print("independent verifier: %d bundles verified, %d alterations refused, %d wrongly accepted"
              % (len(bundles), count - len(failures), len(failures)))
    finally:
        shutil.rmtree(work)
    for f in failures:
        print("FAILED:", f)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
