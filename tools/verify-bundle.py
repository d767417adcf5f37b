#!/usr/bin/env python3
"""Verify a ticketledger evidence bundle, independently of the Go code.

Follows docs/evidence-bundle.md only: the hash chain, every event signature
(Ed25519), every RFC 6962 inclusion proof against the bundle's signed tree
head, and the head's signed-note signature. Needs the Python standard
library and PyNaCl (Debian: python3-nacl).

    verify-bundle.py BUNDLE.zip [--trusted-key SHA256:<hex>]

Exit status: 0 verified, 1 a check failed (each failure is printed with its
place), 2 usage or unreadable bundle.
"""

import argparse
import base64
import hashlib
import json
import struct
import sys
import zipfile

try:
    from nacl.exceptions import BadSignatureError
    from nacl.signing import VerifyKey
except ImportError:
    sys.exit("verify-bundle.py: needs PyNaCl: apt-get install python3-nacl (run it with /usr/bin/python3)")

FORMAT = "ticketledger-evidence/1"
HASH_TAG = b"ticketledger.hashchain.v1"
SIG_TAG = b"ticketledger.eventsig.v1"
LEAF_TAG = b"ticketledger.leaf.v1"


def sha256(*parts):
    h = hashlib.sha256()
    for p in parts:
        h.update(p)
    return h.digest()


def fields(*values):
    """Each value as its 4-byte big-endian length followed by its bytes."""
    return b"".join(struct.pack(">I", len(v)) + v for v in values)


class Checker:
    def __init__(self):
        self.failures = []

    def fail(self, where, problem, expected=None, found=None):
        msg = f"{where}: {problem}"
        if expected is not None or found is not None:
            msg += f" (expected {expected}, found {found})"
        self.failures.append(msg)


def split_metadata(meta):
    """Return (m0, hash, sig) as the writer built them: see the doc, Hash chain."""
    sig = ""
    pre, post = b'","sig":"', b'"}'
    if meta.endswith(post):
        i = meta.rfind(pre)
        value = meta[i + len(pre):-len(post)] if i >= 0 else b'"'
        if i >= 64 + len(b',"hash":"') and b'"' not in value:
            sig = value.decode("ascii")
            meta = meta[:i + 1] + b"}"
    hpre = b',"hash":"'
    n = len(hpre) + 64 + 2
    if len(meta) < n + 1 or not meta.endswith(b'"}') or meta[-n:-n + len(hpre)] != hpre:
        raise ValueError('metadata does not end with a "hash" member')
    h = meta[-66:-2].decode("ascii")
    if any(c not in "0123456789abcdef" for c in h):
        raise ValueError("hash member is not 64 lowercase hex digits")
    return meta[:-n] + b"}", h, sig


def root_from_inclusion(index, size, leaf, path):
    """RFC 9162, 2.1.3.2."""
    if index >= size:
        raise ValueError(f"leaf index {index} is not below the tree size {size}")
    fn, sn, r = index, size - 1, leaf
    for p in path:
        if sn == 0:
            raise ValueError("audit path too long")
        if fn & 1 or fn == sn:
            r = sha256(b"\x01", p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = sha256(b"\x01", r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0:
        raise ValueError("audit path too short")
    return r


def read_checkpoint(c, note, keys, origin):
    """Parse the signed note and verify its signature; return the head or None."""
    text, sep, sigs = note.partition(b"\n\n")
    if not sep:
        c.fail("checkpoint", "not a signed note (no blank line before the signatures)")
        return None
    text += b"\n"
    lines = text.decode("utf-8").split("\n")[:-1]
    if len(lines) < 3:
        c.fail("checkpoint", "fewer than three lines (origin, size, root)")
        return None
    head = {"origin": lines[0], "size": int(lines[1]), "root": base64.b64decode(lines[2])}
    for line in lines[3:]:
        k, _, v = line.partition(" ")
        head[k] = v
    if origin and head["origin"] != origin:
        c.fail("checkpoint", "origin is not the manifest's", origin, head["origin"])
    key_id = head.get("key")
    if key_id not in keys:
        c.fail("checkpoint", "signed by a key that is not in keys.json", "one of " + ", ".join(keys), key_id)
        return None
    pub = keys[key_id]
    want_hash = sha256(head["origin"].encode() + b"\n\x01" + pub)[:4]
    for line in sigs.decode("utf-8").split("\n"):
        if not line.startswith("\u2014 "):
            continue
        name, _, b64 = line[2:].partition(" ")
        raw = base64.b64decode(b64)
        if name != head["origin"] or raw[:4] != want_hash:
            continue
        try:
            VerifyKey(pub).verify(text, raw[4:])
        except BadSignatureError:
            c.fail("checkpoint", f"the signature by key {key_id} does not verify: the tree head was altered")
            return None
        return head
    c.fail("checkpoint", f"no signature by key {key_id} under the name {head['origin']}")
    return None


def verify(path, trusted):
    c = Checker()
    with zipfile.ZipFile(path) as z:
        files = {n: z.read(n) for n in z.namelist()}
    need = ["manifest.json", "events.json", "proofs.json", "keys.json", "checkpoint"]
    missing = [n for n in need if n not in files]
    if missing:
        raise ValueError("the bundle lacks " + ", ".join(missing))
    manifest = json.loads(files["manifest.json"])
    events = json.loads(files["events.json"])["events"]
    proofs = json.loads(files["proofs.json"])
    if manifest.get("format") != FORMAT:
        c.fail("manifest.json", "unknown format", FORMAT, manifest.get("format"))
        return c, manifest, None

    keys, ranges = {}, {}
    for k in json.loads(files["keys.json"])["keys"]:
        pub = base64.b64decode(k["publicKey"])
        digest = hashlib.sha256(pub).hexdigest()
        if len(pub) != 32 or digest[:16] != k["keyId"] or "SHA256:" + digest != k["fingerprint"]:
            c.fail("keys.json", f"key {k['keyId']}: id or fingerprint does not match its public key", digest[:16], k["keyId"])
            continue
        keys[k["keyId"]] = pub
        ranges[k["keyId"]] = (k.get("addedPosition", 0), k.get("retiredPosition", 0) if k.get("retired") else 0)

    head = read_checkpoint(c, files["checkpoint"], keys, manifest.get("origin"))
    if head:
        fp = "SHA256:" + hashlib.sha256(keys[head["key"]]).hexdigest()
        head["fingerprint"] = fp
        if trusted and fp not in trusted:
            c.fail("checkpoint", "the tree head is not signed by the trusted key", " or ".join(trusted), fp)
        if proofs["treeSize"] != head["size"] or base64.b64decode(proofs["root"]) != head["root"]:
            c.fail("proofs.json", "treeSize or root is not the checkpoint's", head["size"], proofs["treeSize"])

    stream = manifest["stream"]
    by_rev = {p["revision"]: p for p in proofs["inclusion"]}
    unsealed = set(manifest["unsealedRevisions"])
    prev_hash, last_hash, seen_unsealed = "", None, False
    for i, e in enumerate(events):
        rev = e["revision"]
        where = f"{e['metadata']} (revision {rev})"
        if e["data"] not in files or e["metadata"] not in files:
            c.fail(where, "the event's bytes are missing from the bundle")
            continue
        data, meta = files[e["data"]], files[e["metadata"]]
        if rev != i:
            c.fail(where, "revision gap or reorder", i, rev)
        try:
            m0, h, sig = split_metadata(meta)
            m = json.loads(m0)
        except ValueError as err:
            c.fail(where, f"malformed metadata: {err}")
            continue
        computed = sha256(fields(HASH_TAG, m.get("prevHash", "").encode(), stream.encode(), e["type"].encode(),
                                 str(m["schemaVersion"]).encode(), data, m0)).hex()
        if computed != h:
            c.fail(f"{e['data']}, {e['metadata']} (revision {rev})", "hash mismatch: payload or metadata altered", computed, h)
        if m.get("prevHash", "") != prev_hash:
            c.fail(where, "prevHash is not the previous event's hash: an event before it removed, reordered or altered", prev_hash or '""', m.get("prevHash", '""'))
        if m.get("eventId") != e["id"]:
            c.fail(where, "metadata event id differs from the record id", e["id"], m.get("eventId"))
        key_id, _, b64 = sig.partition(":")
        if not sig:
            c.fail(where, "the event is not signed")
        elif key_id not in keys:
            c.fail(where, f"signed by key {key_id}, which is not in keys.json")
        else:
            try:
                VerifyKey(keys[key_id]).verify(SIG_TAG + b"\n" + h.encode(), base64.b64decode(b64))
            except (BadSignatureError, ValueError):
                c.fail(where, f"the signature by key {key_id} does not verify: forged or altered")
            added, retired = ranges[key_id]
            if e["position"] < added:
                c.fail(where, f"signed by key {key_id} before the keyring added it: forged", f"a position from {added}", e["position"])
            elif retired and e["position"] > retired:
                c.fail(where, f"signed by key {key_id} after its retirement: forged", f"a position up to {retired}", e["position"])
        prev_hash = last_hash = h

        if rev in unsealed:
            seen_unsealed = True
            continue
        if seen_unsealed:
            c.fail("manifest.json", f"revision {rev} is sealed but an earlier one is not")
        p = by_rev.get(rev)
        if p is None:
            c.fail(f"proofs.json (revision {rev})", "no inclusion proof, and the event is not listed as unsealed")
            continue
        if not head:
            continue
        leaf = sha256(b"\x00", fields(LEAF_TAG, stream.encode(), str(rev).encode(), e["id"].encode(),
                                        e["type"].encode(), h.encode(), sig.encode()))
        try:
            root = root_from_inclusion(p["leafIndex"], head["size"], leaf, [base64.b64decode(x) for x in p["hashes"]])
        except ValueError as err:
            c.fail(f"proofs.json (revision {rev})", f"malformed proof: {err}")
            continue
        if root != head["root"]:
            c.fail(f"proofs.json (revision {rev})", f"the event is not leaf {p['leafIndex']} of the tree head",
                   base64.b64encode(head["root"]).decode(), base64.b64encode(root).decode())
    if manifest["events"] != len(events) or manifest["lastHash"] != last_hash:
        c.fail("manifest.json", "events or lastHash differ from the events held: events removed from the end, or added",
               f"{manifest['events']} ending {manifest['lastHash']}", f"{len(events)} ending {last_hash}")
    return c, manifest, head


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("bundle")
    ap.add_argument("--trusted-key", action="append", default=[], help="fingerprint SHA256:<hex> the tree head must be signed by")
    args = ap.parse_args()
    try:
        c, manifest, head = verify(args.bundle, args.trusted_key)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile, json.JSONDecodeError) as err:
        print(f"verify-bundle.py: {args.bundle}: not a readable evidence bundle: {err!r}", file=sys.stderr)
        return 2
    for f in c.failures:
        print("FAIL", f)
    if c.failures:
        print(f"{args.bundle}: {len(c.failures)} problems: NOT verified", file=sys.stderr)
        return 1
    n = manifest["events"]
    print(f"{args.bundle}: ticket {manifest['ticketId']}: {n} events, hash chain and signatures verified; "
          f"{n - len(manifest['unsealedRevisions'])} included in tree head {head['size']} of {head['origin']!r} "
          f"signed by key {head['key']} ({head['fingerprint']}); "
          + ("trusted key matched" if args.trusted_key else "self-consistent only: no trusted key given"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
