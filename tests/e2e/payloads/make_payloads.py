"""Write the call payloads of other Python versions that test_call_versions.py submits.

Run with each interpreter and Debian's cloudpickle 2.2.0 on the path (pyenv builds here), e.g.
    PYTHONPATH=/tmp/cp ~/.pyenv/versions/3.13.0/bin/python3 make_payloads.py
(/tmp/cp holding a copy of /usr/lib/python3/dist-packages/cloudpickle). Writes py<X.Y>-double.pkl
(a one-line function) and py<X.Y>-busy.pkl (methods, a generator expression, a comprehension, an f-string).
test_call_versions.py imports the same functions to make this Python's own payloads.
"""
import sys

import cloudpickle


def double(x):
    return x * 2


class Box:
    def __init__(self):
        self.v = [1, 2, 3]


def busy(x):
    b = Box()
    s = sum(i * x for i in b.v if i % 2)
    d = {k: v for k, v in zip("abc", b.v)}
    return f"{s}-{len(d)}-{max(b.v)}"


if __name__ == "__main__":
    tag = "py%d.%d" % sys.version_info[:2]
    for fn in (double, busy):
        with open("%s-%s.pkl" % (tag, fn.__name__), "wb") as f:
            f.write(cloudpickle.dumps((fn, (21,), {})))
