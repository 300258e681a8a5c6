"""Job options: ``limits``, ``requirements``, ``priority``, ``labels``, ``max_attempts`` and ``runtime``.

Options come in layers, later ones winning: the profile's defaults, the client's, a decorator's,
``fn.options(...)``, and the ``options=`` of one call. ``limits`` and ``labels`` merge key by key;
the others replace. Values are checked here only for shape; the gateway checks ranges and caps and
answers 422 naming the field.
"""
from __future__ import annotations

from typing import Any, Mapping, Optional

KEYS = ("limits", "requirements", "priority", "labels", "max_attempts", "runtime")
LIMIT_KEYS = ("cpu_ms", "wall_ms", "memory_mb", "output_kb", "processes")
_MERGED = ("limits", "labels")


def merge(*layers: Optional[Mapping[str, Any]]) -> dict:
    """Merge option layers (later wins; limits and labels merge per key) and check their shape."""
    out: dict = {}
    for layer in layers:
        if not layer:
            continue
        unknown = set(layer) - set(KEYS)
        if unknown:
            raise TypeError("unknown job option(s) %s (known: %s)" % (", ".join(sorted(unknown)), ", ".join(KEYS)))
        for key, value in layer.items():
            if key in _MERGED and value is not None:
                if not isinstance(value, Mapping):
                    raise TypeError("%s must be a mapping, got %r" % (key, value))
                out[key] = {**out.get(key, {}), **value}
            else:
                out[key] = value
    bad = set(out.get("limits") or {}) - set(LIMIT_KEYS)
    if bad:
        raise TypeError("unknown limit(s) %s (known: %s)" % (", ".join(sorted(bad)), ", ".join(LIMIT_KEYS)))
    if isinstance(out.get("requirements"), str):
        out["requirements"] = [out["requirements"]]
    return out


def job_request(code: str, runtime: str, opts: Mapping[str, Any]) -> dict:
    """The body of a ``call`` job for POST /jobs."""
    job: dict = {"runtime": opts.get("runtime") or runtime, "kind": "call", "code": code}
    for key in ("limits", "priority", "max_attempts", "labels", "requirements"):
        value = opts.get(key)
        if value is not None and value != {} and value != []:
            job[key] = dict(value) if key in _MERGED else list(value) if key == "requirements" else value
    if "labels" in job:
        job["labels"] = {str(k): str(v) for k, v in job["labels"].items()}
    return job
