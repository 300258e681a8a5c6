# jobgate call harness. Runs INSIDE the sandbox, as the job: reads payload.pkl (a cloudpickled
# (callable, args, kwargs)), calls it and writes outcome.json for the executor:
#   {"ok": true, "result": "<base64 pickle of the return value>"}
#   {"ok": false, "stage": "load"|"call"|"dump", "error": {"type", "message", "traceback"},
#    "exception": "<base64 pickle of the exception, when it pickles>"}
# The payload is untrusted: it is only ever unpickled here, never by the executor.
import base64
import json
import sys
import traceback


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


def main():
    import cloudpickle

    version = "Python %d.%d.%d, cloudpickle %s" % (sys.version_info[:3] + (cloudpickle.__version__,))
    with open("payload.pkl", "rb") as f:
        data = f.read()
    try:
        call = cloudpickle.loads(data)
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


main()
sys.stdout.flush()
