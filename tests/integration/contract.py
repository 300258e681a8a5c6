"""Response contract checks against openapi/openapi.yaml (no gateway needed to import).

    from contract import check_response
    doc = check_response("GET", "/jobs/2c04...", resp.status, resp.headers, resp.body)

check_response finds the operation (a concrete path or a template such as "/jobs/{id}"; a query
string is ignored), then checks that
  - the status is documented for it (405 and 414, which can answer any request, and 404 for a
    path the spec does not know, are checked against components/responses instead),
  - Content-Type is the documented media type,
  - the headers the spec marks required are present and match their schemas (Location,
    Retry-After, WWW-Authenticate, Allow), and the optional ones that are present match too,
  - every response carries Cache-Control: no-store and X-Content-Type-Options: nosniff,
  - the body validates against the response schema (JSON Schema 2020-12, $refs resolved against
    the whole document, formats uuid and date-time checked).
It raises ContractError (an AssertionError) naming every violation, and returns the parsed body.

check_request_body(method, path, body) validates a request body against the documented request
schema (for tests that want to be sure the request they send is a documented one).

Only Debian's python3-jsonschema (4.10) and python3-yaml are used.
"""
import datetime
import json
import os
import re
import threading
import urllib.parse

import jsonschema
import yaml

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SPEC_PATH = os.environ.get("JOBGATE_OPENAPI", os.path.join(REPO, "openapi", "openapi.yaml"))

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
COMMON_HEADERS = {"cache-control": "no-store", "x-content-type-options": "nosniff"}


class ContractError(AssertionError):
    """A response does not conform to the OpenAPI document."""


# ---------------------------------------------------------------- loading

_lock = threading.Lock()
_cache = {}


def load_spec(path=None):
    """The parsed OpenAPI document (cached per path)."""
    path = path or SPEC_PATH
    with _lock:
        spec = _cache.get(path)
        if spec is None:
            with open(path, encoding="utf-8") as f:
                spec = yaml.safe_load(f)
            _cache[path] = spec
        return spec


def _format_checker():
    checker = jsonschema.FormatChecker(formats=())
    rfc3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")

    @checker.checks("date-time", raises=ValueError)
    def is_datetime(value):
        if not isinstance(value, str):
            return True
        if not rfc3339.match(value):
            return False
        base = value[:19].replace("t", "T")
        datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S")  # ranges: month 13 raises
        return True

    @checker.checks("uuid", raises=ValueError)
    def is_uuid(value):
        if not isinstance(value, str):
            return True
        return re.match(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                        r"[0-9a-fA-F]{12}$", value) is not None

    return checker


_FORMATS = _format_checker()


def validate_schema(schema, instance, spec=None, where="body"):
    """Validate instance against a schema of the document; returns a list of messages."""
    spec = spec or load_spec()
    resolver = jsonschema.RefResolver(base_uri="", referrer=spec)
    validator = jsonschema.Draft202012Validator(schema, resolver=resolver,
                                                format_checker=_FORMATS)
    errors = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        loc = "".join("[%r]" % p if isinstance(p, int) else ".%s" % p for p in err.absolute_path)
        errors.append("%s%s: %s" % (where, loc, _short(err)))
    return errors


def _short(err):
    msg = err.message
    if len(msg) > 300:
        msg = msg[:300] + "..."
    if err.context:  # oneOf/anyOf: say why the closest branch failed
        best = jsonschema.exceptions.best_match(err.context)
        if best is not None and best.message != err.message:
            msg += " (closest: %s)" % best.message[:200]
    return msg


def _deref(obj, spec):
    """Follow $ref chains of responses/headers/parameters (not schemas)."""
    seen = 0
    while isinstance(obj, dict) and "$ref" in obj:
        ref = obj["$ref"]
        if not ref.startswith("#/"):
            raise ContractError("external $ref not supported: " + ref)
        node = spec
        for part in ref[2:].split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        obj = node
        seen += 1
        if seen > 32:
            raise ContractError("$ref loop at " + ref)
    return obj


# ---------------------------------------------------------------- matching


def _template_regex(template):
    parts = re.split(r"(\{[^}/]+\})", template)
    rx = "".join("[^/]+" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile("^" + rx + "$")


def match_path(path, spec=None):
    """All path templates of the document matching path (a template itself matches exactly)."""
    spec = spec or load_spec()
    path = path.split("?", 1)[0]
    if path in spec["paths"]:
        exact = [path]
    else:
        exact = []
    found = [t for t in spec["paths"] if t not in exact and _template_regex(t).match(path)]
    # Literal segments win over parameters, as in the gateway's router.
    found.sort(key=lambda t: t.count("{"))
    return exact + found


def find_operation(method, path, spec=None):
    """(template, operation) for method and path, or (None, None) when the path is unknown, or
    (templates, None) when the path is known with other methods only."""
    spec = spec or load_spec()
    templates = match_path(path, spec)
    if not templates:
        return None, None
    for t in templates:
        op = spec["paths"][t].get(method.lower())
        if op is not None:
            return t, op
    return templates, None


def allowed_methods(path, spec=None):
    spec = spec or load_spec()
    methods = set()
    for t in match_path(path, spec):
        methods.update(m.upper() for m in spec["paths"][t] if m in METHODS)
    return methods


# ---------------------------------------------------------------- checking


def _headers_dict(headers):
    if headers is None:
        return {}
    items = headers.items() if hasattr(headers, "items") else headers
    out = {}
    for k, v in items:
        out[k.lower()] = v if k.lower() not in out else out[k.lower()] + ", " + v
    return out


def _media_match(documented, actual):
    """Documented 'application/json' matches 'application/json; charset=utf-8'; a documented
    type with parameters must match exactly (ignoring spaces and case)."""
    if actual is None:
        return False
    norm = lambda s: ";".join(p.strip().lower() for p in s.split(";") if p.strip())
    d, a = norm(documented), norm(actual)
    if ";" in d:
        return d == a
    return d == a.split(";")[0]


def _check_header(name, hdef, value, spec, problems):
    schema = (hdef or {}).get("schema")
    if not schema:
        return
    inst = value
    types = schema.get("type")
    if types == "integer":
        try:
            inst = int(value)
        except ValueError:
            problems.append("header %s: %r is not an integer" % (name, value))
            return
    problems.extend(validate_schema(schema, inst, spec, where="header " + name))


def _response_for(method, path, status, spec):
    """(label, response object) documenting this answer, or raise ContractError."""
    comps = spec["components"]["responses"]
    if status == 414:
        return "any 414", _deref(comps["UriTooLong"], spec)
    # HEAD is answered as GET without a body (RFC 9110 §9.3.2).
    template, op = find_operation("GET" if method == "HEAD" else method, path, spec)
    if template is None:
        if status != 404:
            raise ContractError("%s %s: no such path in the spec, yet the answer is %d, not 404"
                                % (method, path, status))
        return "unknown path", _deref(comps["NotFound"], spec)
    if op is None:
        if status != 405:
            raise ContractError("%s %s: the spec has no %s here (only %s), yet the answer is %d, "
                                "not 405" % (method, path, method,
                                             ", ".join(sorted(allowed_methods(path, spec))),
                                             status))
        return "405", _deref(comps["MethodNotAllowed"], spec)
    responses = op.get("responses", {})
    key = str(status)
    resp = responses.get(key) or responses.get(key[0] + "XX") or responses.get("default")
    if resp is None:
        raise ContractError("%s %s (%s): status %d is not documented (documented: %s)"
                            % (method, template, op.get("operationId"), status,
                               ", ".join(sorted(responses))))
    return "%s %d" % (op.get("operationId"), status), _deref(resp, spec)


_seen = set()


def seen_responses():
    """(operationId, status) pairs check_response has passed so far in this process."""
    return set(_seen)


def documented_responses(spec=None):
    spec = spec or load_spec()
    out = set()
    for t, item in spec["paths"].items():
        for m, op in item.items():
            if m in METHODS:
                out.update((op["operationId"], int(s)) for s in op["responses"] if s.isdigit())
    return out


def check_response(method, path_template_or_path, status, headers, body_bytes, spec=None):
    """Check one answer against the document; returns the parsed body (JSON) or the text.

    headers: a mapping or a list of (name, value) pairs (any case). body_bytes: bytes or str.
    Raises ContractError listing every violation."""
    spec = spec or load_spec()
    method = method.upper()
    # The gateway routes the percent-decoded path (cut at a NUL), and so do we.
    path = urllib.parse.unquote(path_template_or_path.split("?", 1)[0],
                                errors="surrogateescape").split("\0")[0]
    status = int(status)
    hdrs = _headers_dict(headers)
    if isinstance(body_bytes, str):
        body_bytes = body_bytes.encode("utf-8")
    body_bytes = body_bytes or b""
    label, resp = _response_for(method, path, status, spec)
    problems = []

    for name, want in COMMON_HEADERS.items():
        if hdrs.get(name) != want:
            problems.append("header %s: expected %r, got %r" % (name, want, hdrs.get(name)))

    for name, hdef in (resp.get("headers") or {}).items():
        hdef = _deref(hdef, spec)
        value = hdrs.get(name.lower())
        if value is None:
            if hdef.get("required"):
                problems.append("header %s is required" % name)
            continue
        _check_header(name, hdef, value, spec, problems)
    if status == 405:
        allow = {m.strip() for m in hdrs.get("allow", "").split(",") if m.strip()}
        if allow != allowed_methods(path, spec):
            problems.append("header Allow: %r, but the spec has %s for this path"
                            % (hdrs.get("allow"), ", ".join(sorted(allowed_methods(path, spec)))))

    parsed = None
    content = resp.get("content") or {}
    ctype = hdrs.get("content-type")
    if method == "HEAD":  # no body; the headers are those a GET would have
        if body_bytes:
            problems.append("a HEAD answer has a body")
        content = {}
    elif not content:
        if body_bytes:
            problems.append("no body is documented, got %d bytes" % len(body_bytes))
    else:
        media = next((m for m in content if _media_match(m, ctype)), None)
        if media is None:
            problems.append("Content-Type %r is not one of the documented %s"
                            % (ctype, ", ".join(content)))
        else:
            schema = (content[media] or {}).get("schema")
            base = media.split(";")[0].strip().lower()
            if base == "application/json" or base.endswith("+json"):
                try:
                    parsed = json.loads(body_bytes.decode("utf-8"))
                except (UnicodeDecodeError, ValueError) as e:
                    problems.append("body is not JSON: %s" % e)
                    schema = None
            else:
                try:
                    parsed = body_bytes.decode("utf-8")
                except UnicodeDecodeError as e:
                    problems.append("body is not UTF-8 text: %s" % e)
                    schema = None
            if schema is not None:
                problems.extend(validate_schema(schema, parsed, spec))
            if isinstance(parsed, dict) and base == "application/problem+json":
                if parsed.get("status") != status:
                    problems.append("body.status %r differs from the HTTP status %d"
                                    % (parsed.get("status"), status))
                if parsed.get("instance") != path:
                    problems.append("body.instance %r is not the request path %r"
                                    % (parsed.get("instance"), path))
    if problems:
        raise ContractError("%s %s -> %d (%s) does not match openapi.yaml:\n  %s\nbody: %s"
                            % (method, path_template_or_path, status, label,
                               "\n  ".join(problems), body_bytes[:500]))
    _, op = find_operation(method, path, spec)
    if op is not None:
        _seen.add((op.get("operationId"), status))
    return parsed


def check(resp, method, path, spec=None):
    """check_response for an object with .status, .headers and .body (conftest's Response)."""
    return check_response(method, path, resp.status, resp.headers, resp.body, spec=spec)


def check_request_body(method, path, body, spec=None):
    """Validate a request body (a JSON value) against the documented request schema."""
    spec = spec or load_spec()
    template, op = find_operation(method, path, spec)
    if op is None:
        raise ContractError("%s %s is not an operation of the spec" % (method, path))
    rb = _deref(op.get("requestBody") or {}, spec)
    schema = ((rb.get("content") or {}).get("application/json") or {}).get("schema")
    if schema is None:
        raise ContractError("%s %s takes no JSON body" % (method, template))
    problems = validate_schema(schema, body, spec, where="request")
    if problems:
        raise ContractError("%s %s request does not match openapi.yaml:\n  %s"
                            % (method, template, "\n  ".join(problems)))
