"""MapReduce word count over a local text corpus, on jobgate.

    export JOBGATE_URL=http://127.0.0.1:8080 JOBGATE_TOKEN=<client token from scripts/quickstart.sh>
    /usr/bin/python3 clients/python/examples/wordcount.py [DIR] [--reducers 4] [--top 10]

DIR defaults to /usr/share/common-licenses. Jobs cannot read the client's files, so the text travels
in the calls: the corpus is cut into chunks, one map job per chunk (client.map_futures: one
POST /jobs/batch), each map job splits its counts into R partitions, and each of the R reduce jobs
receives the map futures themselves as arguments - jobgate waits for them and passes their results
in. The result is checked against a local count.
"""
from __future__ import annotations

import argparse
import collections
import re
import sys
import time
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the SDK, when not installed
import jobgate  # noqa: E402

WORD = re.compile(r"[a-z']+")


def map_chunk(text: str, reducers: int) -> list[dict]:
    """Count the words of one chunk, split by partition (a stable hash of the word)."""
    counts = collections.Counter(w.strip("'") for w in WORD.findall(text.lower()))
    parts: list[dict] = [{} for _ in range(reducers)]
    for word, n in counts.items():
        if word:
            parts[zlib.crc32(word.encode()) % reducers][word] = n
    return parts


def reduce_partition(index: int, *mapped: list) -> dict:
    """Sum partition `index` over every map result."""
    total: collections.Counter = collections.Counter()
    for parts in mapped:
        total.update(parts[index])
    return dict(total)


def chunks(directory: Path, size: int) -> list[str]:
    out, buf = [], []
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        try:
            buf.append(path.read_text(errors="replace"))
        except OSError:
            continue
        if sum(map(len, buf)) >= size:
            out.append("\n".join(buf))
            buf = []
    if buf:
        out.append("\n".join(buf))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="?", default="/usr/share/common-licenses", type=Path)
    ap.add_argument("--reducers", type=int, default=4)
    ap.add_argument("--chunk-kb", type=int, default=32)
    ap.add_argument("--top", type=int, default=10)
    a = ap.parse_args()

    texts = chunks(a.corpus, a.chunk_kb * 1024)
    if not texts:
        print("no text files under %s" % a.corpus, file=sys.stderr)
        return 1
    client = jobgate.Client()
    t0 = time.perf_counter()
    mapped = client.map_futures(map_chunk, texts, [a.reducers] * len(texts))          # M map jobs
    reduced = [client.submit(reduce_partition, r, *mapped) for r in range(a.reducers)]  # R reduce jobs
    counts: collections.Counter = collections.Counter()
    for part in jobgate.as_completed(reduced, timeout=600):
        counts.update(part.result())
    elapsed = time.perf_counter() - t0

    print("%s: %d KiB of text, %d map jobs and %d reduce jobs in %.2f s: %d distinct words, %d in all"
          % (a.corpus, sum(map(len, texts)) // 1024, len(texts), a.reducers, elapsed, len(counts),
             sum(counts.values())))
    for word, n in counts.most_common(a.top):
        print("%8d  %s" % (n, word))
    local = collections.Counter()
    for t in texts:
        for part in map_chunk(t, 1):
            local.update(part)
    assert counts == local, "the jobs' counts differ from a local count"
    print("same counts as a local run")
    client.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
