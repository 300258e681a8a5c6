# jobgate call harness. Runs INSIDE the sandbox, as the job: reads payload.pkl (a cloudpickled
# (callable, args, kwargs)), calls it and writes outcome.json for the executor:
#   {"ok": true, "result": "<base64 pickle of the return value>"}
#   {"ok": false, "stage": "load"|"call"|"dump", "error": {"type", "message", "traceback"},
#    "exception": "<base64 pickle of the exception, when it pickles>"}
# The payload is untrusted: it is only ever unpickled here, never by the executor.
# The slot's Python zygote preloads this file (run once as another module than __main__, so that only
# its imports and definitions happen); each run executes it as __main__.
#
# Another Python version's bytecode can crash this interpreter or compute something else, so a payload
# from another version is refused (PythonVersionMismatch) before anything of it runs:
# - exactly, when the payload starts with a header pickle, {"python": "3.12.1", "cloudpickle": "3.0.0"}
#   (a plain dict, any protocol), followed by the cloudpickled call: another major.minor is refused;
# - otherwise, as far as it shows: every code object the payload builds must construct with this
#   interpreter's signature and its bytecode must be valid here (known opcodes, RESUME first, this
#   version's inline cache layout); a pickle protocol we cannot read, or cloudpickle internals we lack.
import base64
import io
import json
import opcode
import pickle
import sys
import traceback
import types

import cloudpickle


def write(doc):
    with open("outcome.json", "w") as f:
        json.dump(doc, f)


def describe(exc, skip_frames):
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ in ("builtins", "__main__") else kind.__module__ + "." + kind.__qualname__
    return {"type": name, "message": str(exc),
            "traceback": "".join(traceback.format_exception(kind, exc, tb))}


class Mismatch(Exception):
    """The payload was made by another Python (or cloudpickle) version: by whom, and how we know."""

    def __init__(self, origin, evidence=""):
        super().__init__(origin + (" (%s)" % evidence if evidence else ""))


def inline_caches():
    """Cache entries after each opcode (3.11+): a list by opcode, or None before 3.11."""
    c = getattr(opcode, "_inline_cache_entries", None)
    if isinstance(c, dict):  # 3.13+: by name
        by_op = [0] * 256
        for name, n in c.items():
            if name in opcode.opmap:
                by_op[opcode.opmap[name]] = n
        return by_op
    return list(c) if c is not None else None


CACHES = inline_caches()
RESUME = opcode.opmap.get("RESUME")
PROLOGUE = {opcode.opmap[n] for n in ("COPY_FREE_VARS", "MAKE_CELL", "RETURN_GENERATOR", "POP_TOP")
            if n in opcode.opmap}  # what may precede RESUME (generators: RETURN_GENERATOR, POP_TOP)


def bytecode_problem(code):
    """Why code's bytecode is not this interpreter's, or None."""
    b = code.co_code
    seen_resume = RESUME is None
    i = 0
    while i < len(b):
        op = b[i]
        if opcode.opname[op].startswith("<"):
            return "unknown opcode %d" % op
        if not seen_resume:
            if op == RESUME:
                seen_resume = True
            elif op not in PROLOGUE:
                return "%s before RESUME" % opcode.opname[op]
        i += 2
        for _ in range(CACHES[op] if CACHES else 0):
            if i >= len(b) or b[i] != 0:
                return "inline cache layout after %s" % opcode.opname[op]
            i += 2
    return None if seen_resume else "no RESUME"


def checked_code(*fields):
    try:
        code = types.CodeType(*fields)
    except TypeError as e:
        raise Mismatch("another Python version", "it holds a code object of %d fields that this Python cannot build: %s"
                       % (len(fields), e)) from None
    problem = bytecode_problem(code)
    if problem:
        raise Mismatch("another Python version", "its bytecode is not this Python's: %s in %s()"
                       % (problem, code.co_name))
    return code


class CheckedUnpickler(pickle.Unpickler):
    """cloudpickle rebuilds code objects through _builtin_type("CodeType"): that one is checked."""

    def find_class(self, module, name):
        obj = super().find_class(module, name)
        if module.startswith("cloudpickle") and name == "_builtin_type":
            return lambda type_name: checked_code if type_name == "CodeType" else obj(type_name)
        return obj


def load_call(data):
    """The payload's call object; raises Mismatch for another version's payload."""
    f = io.BytesIO(data)
    try:
        first = CheckedUnpickler(f).load()
        if not (isinstance(first, dict) and "python" in first):
            return first
        theirs = str(first["python"])
        if theirs.split(".")[:2] != [str(v) for v in sys.version_info[:2]]:
            raise Mismatch("Python %s%s" % (theirs, " with cloudpickle %s" % first["cloudpickle"]
                                             if "cloudpickle" in first else ""))
        return CheckedUnpickler(f).load()
    except ValueError as e:
        if "unsupported pickle protocol" not in str(e):
            raise
        raise Mismatch("a newer Python version", str(e)) from None
    except (AttributeError, ImportError) as e:
        if "cloudpickle" not in str(e):
            raise
        raise Mismatch("another cloudpickle version", str(e)) from None
    except SystemError as e:  # the interpreter choked on a foreign object
        raise Mismatch("another Python version", "SystemError: %s" % e) from None


def main():
    version = "Python %d.%d.%d with cloudpickle %s" % (sys.version_info[:3] + (cloudpickle.__version__,))
    with open("payload.pkl", "rb") as f:
        data = f.read()
    try:
        try:
            call = load_call(data)
        except Mismatch as e:
            write({"ok": False, "stage": "load", "error": {
                "type": "PythonVersionMismatch", "traceback": "",
                "message": "payload from %s; this executor runs %s: submit it from Python %d.%d"
                           % (e, version, *sys.version_info[:2])}})
            return
        if isinstance(call, tuple) and len(call) == 2:
            call = (call[0], call[1], {})
        fn, args, kwargs = call
        args, kwargs = tuple(args), dict(kwargs or {})
        if not callable(fn):
            raise TypeError("the payload's first element is not callable")
    except BaseException as e:
        err = describe(e, 0)
        err["message"] = ("cannot load the payload (a cloudpickled (callable, args, kwargs)) with %s "
                          "(was it made by another Python version?): %s: %s" % (version, err["type"], err["message"]))
        err["type"] = "PayloadError"
        write({"ok": False, "stage": "load", "error": err})
        return
    del data
    try:
        value = fn(*args, **kwargs)
    except BaseException as e:
        doc = {"ok": False, "stage": "call", "error": describe(e, 1)}
        try:
            doc["exception"] = base64.b64encode(cloudpickle.dumps(e)).decode()
        except BaseException:
            pass
        write(doc)
        return
    try:
        blob = cloudpickle.dumps(value)
    except BaseException as e:
        err = describe(e, 0)
        err["message"] = "the return value cannot be pickled: %s: %s" % (err["type"], err["message"])
        err["type"] = "ResultPicklingError"
        write({"ok": False, "stage": "dump", "error": err})
        return
    write({"ok": True, "result": base64.b64encode(blob).decode()})


if __name__ == "__main__":
    main()
    sys.stdout.flush()
