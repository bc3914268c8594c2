#!/usr/bin/python3
"""Archive throughput over HTTP (issue 17): GET /api/v1/workspaces/{id}/archive of a whole
workspace, read to the end by a client on loopback, against `tar -cf - . | gzip -6 >
/dev/null` of the same tree written on tmpfs, alternating, in the same run. The content is
source-like text (words from a small vocabulary, compressing about as code does). Prints each
side's median seconds and MB/s (uncompressed) and the ratio; --json for one object.
`codeyard-bench archive` measures the library alone (Archives into a counting sink).

  /usr/bin/python3 shells/harness/archive_bench.py [--server BIN] [--files 400]
      [--file-bytes 131072] [--rounds 5] [--json]
"""

import argparse
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_lib import API, DEFAULT_SERVER, Server, new_user, new_workspace, progress_printer  # noqa: E402

WORDS = ["def", "return", "self", "import", "for", "in", "if", "else", "value", "result",
         "items", "count", "print", "(", ")", ":", "=", "+", "index", "name", "data", "while",
         "True", "None", "list", "dict", "append", "range", "len", "class", "total", "x", "y",
         "0", "1", "path"]


def source_like(rng, size):
    out = []
    n = 0
    column = 0
    while n < size:
        w = rng.choice(WORDS)
        column += len(w) + 1
        sep = "\n    " if column > 72 else " "
        if column > 72:
            column = 4
        out.append(w + sep)
        n += len(w) + len(sep)
    return "".join(out).encode()[:size]


def fetch_archive(server, token, ws):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=300)
    try:
        conn.request("GET", f"{API}/workspaces/{ws}/archive",
                     headers={"Authorization": f"Bearer {token}"})
        resp = conn.getresponse()
        assert resp.status == 200, resp.status
        total = 0
        while True:
            chunk = resp.read(1 << 20)
            if not chunk:
                return total
            total += len(chunk)
    finally:
        conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=DEFAULT_SERVER)
    parser.add_argument("--files", type=int, default=400)
    parser.add_argument("--file-bytes", type=int, default=128 << 10)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    progress = progress_printer("archive_bench")

    rng = random.Random(17)
    host = tempfile.mkdtemp(prefix="cy-archive-host-", dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
    server = Server(args.server, args=["--set", f"files.max_workspace_bytes={1 << 34}",
                                       "--set", f"files.max_user_bytes={1 << 34}"])
    try:
        token = new_user(server)
        ws = new_workspace(server, token)
        total = 0
        for i in range(args.files):
            path = f"src/pkg{i % 20}/f{i}.py"
            data = source_like(rng, args.file_bytes)
            status, doc = server.call("PUT", f"/workspaces/{ws}/files/{path}", token, raw=data)
            assert status == 200, doc
            os.makedirs(os.path.join(host, os.path.dirname(path)), exist_ok=True)
            with open(os.path.join(host, path), "wb") as f:
                f.write(data)
            total += len(data)
        progress(f"{args.files} files, {total / 1e6:.1f} MB stored")
        subject, baseline = [], []
        zip_bytes = 0
        for r in range(args.rounds):
            t0 = time.monotonic()
            zip_bytes = fetch_archive(server, token, ws)
            subject.append(time.monotonic() - t0)
            t0 = time.monotonic()
            subprocess.run(f"tar -cf - -C '{host}' . | gzip -6 > /dev/null", shell=True, check=True)
            baseline.append(time.monotonic() - t0)
            progress(f"round {r + 1}: archive {subject[-1]:.3f} s, tar|gzip {baseline[-1]:.3f} s")
    finally:
        server.stop()
        shutil.rmtree(host, ignore_errors=True)
    s = statistics.median(subject)
    b = statistics.median(baseline)
    mb = total / 1e6
    if args.json:
        print(json.dumps({"files": args.files, "total_bytes": total, "zip_bytes": zip_bytes,
                          "archive_s": s, "tar_gzip_s": b, "archive_mb_s": mb / s,
                          "tar_gzip_mb_s": mb / b, "ratio": s / b}))
        return
    print(f"archive_bench: {args.files} files, {mb:.1f} MB (zip {zip_bytes / 1e6:.1f} MB), "
          f"median of {args.rounds} rounds")
    print(f"{'':36} {'s':>8} {'MB/s':>8}")
    print(f"{'GET .../archive (HTTP, loopback)':36} {s:8.3f} {mb / s:8.1f}")
    print(f"{'tar | gzip -6 (tmpfs)':36} {b:8.3f} {mb / b:8.1f}")
    print(f"ratio (time, archive / tar|gzip): {s / b:.2f}x")


if __name__ == "__main__":
    main()
