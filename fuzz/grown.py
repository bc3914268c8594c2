#!/usr/bin/env python3
"""The grown corpora: inputs that long fuzz runs found and that add coverage beyond the seeds,
kept as one zip a target (fuzz/grown/<target>.zip, as OSS-Fuzz keeps <target>_seed_corpus.zip),
so the repository holds twelve files rather than thousands. ./scripts/fuzz unpacks a target's
zip beside its seeds (fuzz/corpus/<target>/) into every run's scratch corpus, so the short runs
of ./scripts/test start where the long runs got to; `./scripts/fuzz --save DIR` rewrites the
zips from a kept run (DIR, merged with libFuzzer's -merge=1: only inputs adding coverage).

  grown.py unpack TARGET DEST   the target's grown inputs into the folder DEST (none: no zip)
  grown.py pack TARGET SRC      SRC's files but the target's seeds, as the target's zip

The zip is deterministic (names sorted, one timestamp), so an unchanged corpus is an unchanged
file. Inputs are named by their SHA-1, as libFuzzer names them."""
import hashlib
import os
import sys
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))


def zip_path(target):
    return os.path.join(HERE, "grown", target + ".zip")


def unpack(target, dest):
    path = zip_path(target)
    if not os.path.exists(path):
        return 0
    os.makedirs(dest, exist_ok=True)
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if "/" in name or name.startswith("."):
                sys.exit(f"grown.py: {path} holds {name!r}, not a plain input name")
            with open(os.path.join(dest, name), "wb") as f:
                f.write(z.read(name))
        return len(z.namelist())


def pack(target, src):
    seeds_dir = os.path.join(HERE, "corpus", target)
    seeds = set()
    if os.path.isdir(seeds_dir):
        for name in os.listdir(seeds_dir):
            with open(os.path.join(seeds_dir, name), "rb") as f:
                seeds.add(hashlib.sha1(f.read()).hexdigest())
    inputs = {}
    for name in os.listdir(src):
        with open(os.path.join(src, name), "rb") as f:
            data = f.read()
        digest = hashlib.sha1(data).hexdigest()
        if digest not in seeds:
            inputs[digest] = data
    path = zip_path(target)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with zipfile.ZipFile(path + ".tmp", "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        for digest in sorted(inputs):
            info = zipfile.ZipInfo(digest, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, inputs[digest])
    os.replace(path + ".tmp", path)
    return len(inputs)


def main(argv):
    if len(argv) != 4 or argv[1] not in ("unpack", "pack"):
        sys.exit(__doc__.split("\n\n")[1])
    _, command, target, folder = argv
    if command == "unpack":
        print(unpack(target, folder))
    else:
        if not os.path.isdir(folder):
            sys.exit(f"grown.py: {folder} is not a folder")
        print(pack(target, folder))


if __name__ == "__main__":
    main(sys.argv)
