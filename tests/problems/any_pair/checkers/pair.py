"""The "any_pair" checker in Python (testlib's exit codes: 0 OK, 1 WA, 2 PE, 3 FAIL)."""
import sys

def main():
    inp, out, _answer = sys.argv[1:4]
    try:
        n = int(open(inp).read().split()[0])
    except (ValueError, IndexError):
        print("bad input file", file=sys.stderr)
        return 3
    words = open(out).read().split()
    if len(words) != 2 or not all(w.lstrip("-").isdigit() for w in words):
        print("expected two integers, got %r" % " ".join(words)[:50], file=sys.stderr)
        return 2
    x, y = map(int, words)
    if x < 0 or y < 0 or x + y != n:
        print("%d + %d is not %d" % (x, y, n), file=sys.stderr)
        return 1
    print("ok", file=sys.stderr)
    return 0

sys.exit(main())
