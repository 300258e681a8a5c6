# jobgate function harness. Runs INSIDE the sandbox, as the job: imports solution.py, calls
# entrypoint(*args, **kwargs) from input.json and writes outcome.json for the executor:
#   {"ok": true, "value": <the JSON return value>}
#   {"ok": false, "stage": "import"|"call"|"dump", "error": {"type", "message", "traceback"}}
# The slot's Python zygote preloads this file (run once as another module than __main__); each run
# executes it as __main__.
import importlib.util
import json
import sys
import traceback


def write(doc):
    with open("outcome.json", "w") as f:
        json.dump(doc, f, allow_nan=False)


def describe(exc, skip_frames):
    tb = exc.__traceback__
    for _ in range(skip_frames):
        if tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
    kind = type(exc)
    name = kind.__qualname__ if kind.__module__ in ("builtins", "__main__", "solution") else kind.__module__ + "." + kind.__qualname__
    return {"type": name, "message": str(exc),
            "traceback": "".join(traceback.format_exception(kind, exc, tb))}


def main():
    with open("input.json") as f:
        request = json.load(f)
    try:
        spec = importlib.util.spec_from_file_location("solution", "solution.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["solution"] = module
        spec.loader.exec_module(module)
        fn = getattr(module, request["entrypoint"])
    except BaseException as e:
        write({"ok": False, "stage": "import", "error": describe(e, 1)})
        return
    try:
        value = fn(*request.get("args", []), **request.get("kwargs", {}))
    except BaseException as e:
        write({"ok": False, "stage": "call", "error": describe(e, 1)})
        return
    try:
        json.dumps(value, allow_nan=False)
    except (TypeError, ValueError) as e:
        write({"ok": False, "stage": "dump", "error": {
            "type": "TypeError", "message": "the return value is not JSON: %s" % e, "traceback": ""}})
        return
    write({"ok": True, "value": value})


if __name__ == "__main__":
    main()
    sys.stdout.flush()
