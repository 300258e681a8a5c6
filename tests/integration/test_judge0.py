"""Judge0 CE 1.13.1 compatibility at the HTTP level, from Judge0's own documentation examples
(docs/api/**: create, get, batch, statuses, languages, configuration, workers), against a gateway
of its own on an empty database. A protocol-level executor plays the worker, so every status
Judge0 has is produced from the outcome that maps to it."""
import base64
import json
import threading
import uuid

import pytest

from conftest import Client, Executor, Gateway, assert_problem, b64, create_token

HELLO_C = ('#include <stdio.h>\n\nint main(void) {\n  char name[10];\n  scanf("%s", name);\n'
           '  printf("hello, %s\\n", name);\n  return 0;\n}')
DEFAULT_FIELDS = {"token", "time", "memory", "stdout", "stderr", "compile_output", "message",
                  "status"}


@pytest.fixture(scope="module")
def j0(pg, workdir):
    """A gateway on an empty database: only this module's jobs are leased here."""
    url = pg.fresh_database()
    gw = Gateway(url, workdir, extra_args=["--max-queued", "60"]).wait_ready()
    gw.client_token = create_token(url, "client")[1]
    gw.admin_token = create_token(url, "admin")[1]
    gw.executor = Executor(Client(gw.port, create_token(url, "executor")[1]),
                           ["c11", "cpp17", "python3"], name="judge0-worker")
    yield gw
    assert gw.terminate() == 0, gw.log_tail()


@pytest.fixture
def c(j0):
    return Client(j0.port, j0.client_token)


def create(c, body, query="", status=201):
    r = c.post("/submissions" + query, body)
    assert r.status == status, r
    return r.json()


def run(j0, **outcome):
    """Lease the next submission and report @p outcome for it (a completed OK by default)."""
    leased = j0.executor.lease_one()
    outcome.setdefault("usage", {"cpu_ms": 1, "wall_ms": 3, "memory_kb": 380})
    r = j0.executor.complete(leased, **outcome)
    assert r.status == 200, r
    return leased


def enc64(text):
    """Ruby's Base64.encode64: lines of 60 characters, each ending in a newline."""
    flat = base64.b64encode(text.encode() if isinstance(text, str) else text).decode()
    return "".join(flat[i:i + 60] + "\n" for i in range(0, len(flat), 60))


# ---------------------------------------------------------------- create and get (the docs)


def test_create_answers_a_token_and_maps_onto_a_program_job(j0, c):
    doc = create(c, {"source_code": HELLO_C, "language_id": 50, "stdin": "world"})
    assert set(doc) == {"token"}
    uuid.UUID(doc["token"])
    leased = j0.executor.lease_one()
    assert leased["id"] == doc["token"]
    spec = leased["spec"]
    assert spec["runtime"] == "c11" and spec["kind"] == "program"
    assert base64.b64decode(spec["code"]).decode() == HELLO_C
    assert spec["stdin"] == b64("world") and "expected" not in spec
    # Judge0's defaults: 5 s CPU, 10 s wall, 128000 KB, 60 processes, 1024 KB of output.
    assert spec["limits"] == {"cpu_ms": 5000, "wall_ms": 10000, "memory_mb": 125,
                              "output_kb": 1024, "processes": 60}
    j0.executor.complete(leased, stdout=b64("hello, world\n"), exit_code=0,
                         usage={"cpu_ms": 1, "wall_ms": 2, "memory_kb": 376})
    got = c.get("/submissions/" + doc["token"]).json()
    assert got == {"stdout": "hello, world\n", "time": "0.001", "memory": 376, "stderr": None,
                   "token": doc["token"], "compile_output": None, "message": None,
                   "status": {"id": 3, "description": "Accepted"}}
    # The same job, natively.
    native = c.get("/jobs/" + doc["token"]).json()
    assert native["status"] == "completed" and native["verdict"] == "OK"


def test_validation_errors_are_rails_shaped(c):
    # docs: no language_id
    assert create(c, {"source_code": HELLO_C}, status=422) == {"language_id": ["can't be blank"]}
    # docs: an id that does not exist
    assert create(c, {"source_code": HELLO_C, "language_id": 150000, "stdin": "world",
                      "expected_output": "hello, world"}, status=422) == {
        "language_id": ["language with id 150000 doesn't exist"]}
    # docs: a wall time limit over the maximum (20 s in v1.13.1)
    doc = create(c, {"source_code": HELLO_C, "language_id": 50, "number_of_runs": 1,
                     "stdin": "Judge0", "expected_output": "hello, Judge0", "cpu_time_limit": 1,
                     "cpu_extra_time": 0.5, "wall_time_limit": 100000, "memory_limit": 128000,
                     "stack_limit": 128000, "enable_per_process_and_thread_time_limit": False,
                     "enable_per_process_and_thread_memory_limit": False,
                     "max_file_size": 1024}, status=422)
    assert doc == {"wall_time_limit": ["must be less than or equal to 20.0"]}
    # Every error at once, in the model's order; the features we do not offer say so.
    doc = create(c, {"source_code": " ", "language_id": "71", "memory_limit": 100,
                     "cpu_time_limit": "abc", "max_processes_and_or_threads": 0,
                     "compiler_options": "-O3", "command_line_arguments": "x",
                     "callback_url": "http://example.com", "enable_network": True}, status=422)
    assert doc == {
        "source_code": ["can't be blank"],
        "cpu_time_limit": ["is not a number"],
        "memory_limit": ["must be greater than or equal to 2048"],
        "max_processes_and_or_threads": ["must be greater than 0"],
        "compiler_options": ["setting compiler options is not allowed"],
        "command_line_arguments": ["setting command line arguments is not allowed"],
        "callback_url": ["setting callback is not allowed"],
        "enable_network": ["enabling network is not allowed"],
    }


def test_create_with_base64_and_strings_for_numbers(j0, c):
    # docs: base64 source; "input" is not an attribute and is ignored, as Rails' permit does.
    src = ("I2luY2x1ZGUgPHN0ZGlvLmg+CgppbnQgbWFpbih2b2lkKSB7CiAgY2hhciBuYW1lWzEwXTsKICBzY2FuZigi"
           "JXMiLCBuYW1lKTsKICBwcmludGYoImhlbGxvLCAlc1xuIiwgbmFtZSk7CiAgcmV0dXJuIDA7Cn0=")
    doc = create(c, {"source_code": src, "language_id": 50, "input": "SnVkZ2Uw"},
                 "?base64_encoded=true")
    leased = j0.executor.lease_one()
    assert leased["id"] == doc["token"]
    assert base64.b64decode(leased["spec"]["code"]) == base64.b64decode(src)
    # Ruby's decode64 is lenient: line breaks in base64 are fine.
    doc = create(c, {"source_code": enc64("print(input())"), "language_id": 71,
                     "stdin": enc64("x"), "cpu_time_limit": "2.5", "memory_limit": "65536",
                     "redirect_stderr_to_stdout": "true"}, "?base64_encoded=true")
    leased = j0.executor.lease_one()
    assert leased["spec"]["runtime"] == "python3"
    assert leased["spec"]["limits"]["cpu_ms"] == 2500 and leased["spec"]["limits"]["memory_mb"] == 64
    j0.executor.complete(leased, stdout=b64("x\n"), stderr=b64("warn\n"), exit_code=0)
    got = c.get("/submissions/%s?fields=stdout,stderr,stdin,cpu_time_limit,memory_limit,"
                "redirect_stderr_to_stdout,language_id" % doc["token"]).json()
    assert got == {"stdout": "x\nwarn\n", "stderr": None, "stdin": "x", "cpu_time_limit": "2.5",
                   "memory_limit": 65536, "redirect_stderr_to_stdout": True, "language_id": 71}


def test_wait_true_answers_the_result(j0, c):
    # docs: "Waiting for submission to finish"
    worker = threading.Thread(target=run, args=(j0,), kwargs={
        "stdout": b64("hello, Judge0\n"), "exit_code": 0,
        "usage": {"cpu_ms": 1, "wall_ms": 2, "memory_kb": 380}})
    worker.start()
    doc = create(c, {"source_code": HELLO_C, "language_id": "50", "stdin": "Judge0",
                     "expected_output": "hello, Judge0"}, "?wait=true")
    worker.join()
    assert set(doc) == DEFAULT_FIELDS
    assert doc["stdout"] == "hello, Judge0\n" and doc["time"] == "0.001" and doc["memory"] == 380
    assert doc["status"] == {"id": 3, "description": "Accepted"}
    # The job's spec carried the expected output: the executor compared it.
    native = c.get("/jobs/" + doc["token"]).json()
    assert native["verdict"] == "OK"


def test_get_fields_and_base64(j0, c):
    doc = create(c, {"source_code": HELLO_C, "language_id": 50, "stdin": "Judge0"})
    run(j0, stdout=b64("hello, Judge0\n"), exit_code=0)
    token = doc["token"]
    # docs: fields=stdout,stderr,status_id,language_id
    got = c.get("/submissions/%s?fields=stdout,stderr,status_id,language_id" % token).json()
    assert got == {"stdout": "hello, Judge0\n", "status_id": 3, "language_id": 50,
                   "stderr": None}
    # docs: base64_encoded=true gives Ruby's encode64, with its trailing newline
    got = c.get("/submissions/%s?base64_encoded=true" % token).json()
    assert got["stdout"] == "aGVsbG8sIEp1ZGdlMAo=\n"
    every = c.get("/submissions/%s?fields=*" % token).json()
    assert every["source_code"] == HELLO_C and every["stdin"] == "Judge0"
    assert every["language"] == {"id": 50, "name": "C (GCC 12.2.0)"}
    assert every["expected_output"] is None and every["exit_code"] == 0
    assert every["cpu_time_limit"] == "5.0" and every["wall_time_limit"] == "10.0"
    assert every["memory_limit"] == 128000 and every["max_file_size"] == 1024
    assert every["number_of_runs"] == 1 and every["enable_network"] is False
    assert every["created_at"].endswith("Z") and len(every["created_at"]) == 24
    assert "status_id" not in every and "language_id" not in every
    r = c.get("/submissions/%s?fields=stdout,nope,bad" % token)
    assert r.status == 400 and r.json() == {"error": "invalid fields: [nope, bad]"}
    r = c.get("/submissions/" + str(uuid.uuid4()))
    assert r.status == 404 and r.json() == {"status": 404, "error": "Not Found"}
    assert c.get("/submissions/not-a-token").status == 404


def test_output_that_is_not_utf8(j0, c):
    # docs: "wait=true that results with attributes that cannot be serialized to JSON"
    worker = threading.Thread(target=run, args=(j0,), kwargs={
        "stdout": base64.b64encode(b"\xfe").decode(), "exit_code": 0})
    worker.start()
    doc = create(c, {"language_id": 71, "source_code": 'print("\\xFE")'}, "?wait=true")
    worker.join()
    assert set(doc) == {"token", "error"}
    assert doc["error"] == ("some attributes for this submission cannot be converted to UTF-8, "
                            "use base64_encoded=true query parameter")
    r = c.get("/submissions/" + doc["token"])
    assert r.status == 400 and r.json()["error"] == doc["error"]
    assert c.get("/submissions/%s?base64_encoded=true" % doc["token"]).json()["stdout"] == "/g==\n"


STATUS_CASES = [
    ({"verdict": "WA", "stdout": b64("4\n"), "exit_code": 0}, 4, None),
    ({"verdict": "PE", "stdout": b64("3 \n"), "exit_code": 0}, 4, None),
    ({"verdict": "TLE", "signal": 9, "exit_code": None}, 5, "Time limit exceeded"),
    ({"verdict": "CE", "compile_output": b64("main.c:1: error\n")}, 6, None),
    ({"verdict": "RE", "signal": 11, "exit_code": None}, 7, "Caught fatal signal 11"),
    ({"verdict": "OLE", "signal": 25, "exit_code": None}, 8, "Output limit exceeded"),
    ({"verdict": "RE", "signal": 8, "exit_code": None}, 9, "Caught fatal signal 8"),
    ({"verdict": "RE", "signal": 6, "exit_code": None}, 10, "Caught fatal signal 6"),
    ({"verdict": "RE", "exit_code": 3}, 11, "Exited with error status 3"),
    ({"verdict": "MLE", "signal": 9, "exit_code": None}, 12, "Memory limit exceeded"),
    ({"verdict": "SYS", "signal": 31, "exit_code": None}, 12, "Forbidden system call"),
    ({"status": "failed", "verdict": None, "error": {"type": "SandboxError", "message": "boom"}},
     13, "SandboxError: boom"),
]


@pytest.mark.parametrize("outcome,status,message", STATUS_CASES,
                         ids=["%s-%d" % (o.get("verdict"), s) for o, s, _ in STATUS_CASES])
def test_status_mapping(j0, c, outcome, status, message):
    doc = create(c, {"source_code": "x", "language_id": 54})
    outcome = {k: v for k, v in outcome.items() if v is not None}
    if outcome.get("status") == "failed":
        leased = j0.executor.lease_one()
        assert j0.executor.result(leased["id"], leased["lease"], **outcome).status == 200
    else:
        run(j0, **outcome)
    got = c.get("/submissions/%s?fields=status,message,exit_code,exit_signal,compile_output"
                % doc["token"]).json()
    statuses = {s["id"]: s["description"] for s in c.get("/statuses").json()}
    assert got["status"] == {"id": status, "description": statuses[status]}
    assert got["message"] == message
    if status == 6:
        assert got["compile_output"] == "main.c:1: error\n" and got["exit_code"] is None
    if "signal" in outcome:
        assert got["exit_signal"] == outcome["signal"] and got["exit_code"] == 0


def test_in_queue_and_processing(j0, c):
    doc = create(c, {"source_code": "print(1)", "language_id": 71})
    got = c.get("/submissions/%s?fields=status,time,finished_at" % doc["token"]).json()
    assert got == {"status": {"id": 1, "description": "In Queue"}, "time": None,
                   "finished_at": None}
    leased = j0.executor.lease_one()
    assert c.get("/submissions/" + doc["token"]).json()["status"]["id"] == 2
    r = c.delete("/submissions/" + doc["token"])
    assert r.status == 400 and r.json() == {
        "error": "submission cannot be deleted because its status is 2 (Processing)"}
    j0.executor.complete(leased, stdout=b64("1\n"), exit_code=0)
    r = c.delete("/submissions/%s?fields=stdout,status" % doc["token"])
    assert r.status == 200 and r.json() == {"stdout": "MQo=\n",
                                            "status": {"id": 3, "description": "Accepted"}}
    assert c.get("/submissions/" + doc["token"]).status == 404
    assert c.delete("/submissions/" + doc["token"]).status == 404


# ---------------------------------------------------------------- batch and list


def test_batch_create_and_get(j0, c):
    r = c.post("/submissions/batch", {"submissions": [
        {"source_code": "print(1)", "language_id": 71}, {"language_id": 71},
        {"source_code": "int main(){}", "language_id": 54}]})
    assert r.status == 201, r
    first, bad, third = r.json()
    assert bad == {"source_code": ["can't be blank"]}
    for _ in range(2):
        run(j0, stdout=b64("1\n"), exit_code=0)
    missing = str(uuid.uuid4())
    tokens = ",".join([first["token"], missing, third["token"]])
    got = c.get("/submissions/batch?tokens=%s&fields=token,status" % tokens).json()
    assert got == {"submissions": [
        {"token": first["token"], "status": {"id": 3, "description": "Accepted"}}, None,
        {"token": third["token"], "status": {"id": 3, "description": "Accepted"}}]}
    # Tokens in a header work too.
    got = c.get("/submissions/batch?fields=token", headers={"tokens": first["token"]}).json()
    assert got == {"submissions": [{"token": first["token"]}]}

    r = c.post("/submissions/batch", {"submissions": [{"language_id": 71}]})
    assert r.status == 422 and r.json() == [{"source_code": ["can't be blank"]}]
    r = c.post("/submissions/batch", {"submissions": []})
    assert r.status == 400 and r.json() == {
        "error": "there should be at least one submission in a batch"}
    r = c.post("/submissions/batch", {"submissions": [{"language_id": 71}] * 21})
    assert r.status == 400 and r.json() == {
        "error": "number of submissions in a batch should be less than or equal to 20"}
    r = c.get("/submissions/batch?tokens=" + ",".join([missing] * 21))
    assert r.status == 400
    assert c.get("/submissions/batch").status == 400


def test_list_pages(j0, c, pg):
    other = Client(j0.port, create_token(j0.url, "client")[1])
    made = [create(other, {"source_code": "print(%d)" % i, "language_id": 71})["token"]
            for i in range(3)]
    page = other.get("/submissions?per_page=2&fields=token").json()
    assert page["submissions"] == [{"token": made[2]}, {"token": made[1]}]
    assert page["meta"] == {"current_page": 1, "next_page": 2, "prev_page": None,
                            "total_pages": 2, "total_count": 3}
    page = other.get("/submissions?per_page=2&page=2&fields=token").json()
    assert page["submissions"] == [{"token": made[0]}]
    assert page["meta"]["prev_page"] == 1 and page["meta"]["next_page"] is None
    r = other.get("/submissions?page=-4")
    assert r.status == 400 and r.json() == {"error": "invalid page: -4"}
    # Another tenant's submissions are not there.
    assert c.get("/submissions/" + made[0]).status == 404
    for _ in made:
        run(j0, stdout=b64("1\n"), exit_code=0)


def test_queue_full(j0, c):
    """The gateway holds at most 60 unfinished jobs (--max-queued): the 61st is refused."""
    made = 0
    for _ in range(61):
        r = c.post("/submissions", {"source_code": "print(1)", "language_id": 71})
        if r.status != 201:
            break
        made += 1
    assert r.status == 503 and r.json() == {"error": "queue is full"}, r
    assert r.header("Retry-After") == "5" and made <= 60
    for _ in range(made):
        run(j0)


# ---------------------------------------------------------------- the rest of the API


def test_statuses_and_languages(c):
    statuses = c.get("/statuses").json()
    assert [s["id"] for s in statuses] == list(range(1, 15))
    assert statuses[0] == {"id": 1, "description": "In Queue"}
    assert statuses[13] == {"id": 14, "description": "Exec Format Error"}
    langs = c.get("/languages").json()
    assert [l["id"] for l in langs] == [50, 54, 71]
    assert all(set(l) == {"id", "name"} for l in langs)
    assert all(l["is_archived"] is False for l in c.get("/languages/all").json())
    py = c.get("/languages/71").json()
    assert py == {"id": 71, "name": "Python (3.11.2)", "is_archived": False,
                  "source_file": "main.py", "compile_cmd": None,
                  "run_cmd": "/usr/bin/python3 -I -B main.py"}
    assert c.get("/languages/50").json()["compile_cmd"].endswith("-O2 -o main main.c -lm")
    r = c.get("/languages/4")
    assert r.status == 404


def test_configuration_and_health(j0, c):
    cfg = c.get("/config_info").json()
    assert cfg["cpu_time_limit"] == 5 and cfg["max_cpu_time_limit"] == 15
    assert cfg["wall_time_limit"] == 10 and cfg["max_wall_time_limit"] == 20
    assert cfg["memory_limit"] == 128000 and cfg["max_memory_limit"] == 512000
    assert cfg["max_submission_batch_size"] == 20 and cfg["max_queue_size"] == 60
    assert cfg["enable_wait_result"] is True and cfg["allow_enable_network"] is False
    about = c.get("/about").json()
    assert about["version"] == "1.13.1"
    r = c.get("/version")
    assert r.status == 200 and r.body == b"1.13.1"
    workers = c.get("/workers").json()
    assert [w["queue"] for w in workers] == ["c11", "cpp17", "python3"]
    assert all(w["available"] >= 0 and w["paused"] == 0 for w in workers)
    info = c.get("/system_info").json()
    assert info["Architecture"] and int(info["CPU(s)"]) >= 1 and "Mem" in info


def test_authentication_the_judge0_way(j0):
    anon = Client(j0.port)
    assert_problem(anon.get("/statuses"), 401, "unauthorized")
    # X-Auth-Token, Judge0's header.
    r = anon.get("/statuses", headers={"X-Auth-Token": j0.client_token})
    assert r.status == 200
    r = anon.post("/authenticate", headers={"X-Auth-Token": j0.client_token})
    assert r.status == 200
    assert_problem(anon.post("/authenticate", headers={"X-Auth-Token": "nope"}), 401,
                   "unauthorized")
    assert_problem(Client(j0.port, j0.client_token).post("/authorize"), 403, "forbidden")
    assert Client(j0.port, j0.admin_token).post("/authorize").status == 200
    assert_problem(j0.executor.c.post("/submissions", {"source_code": "x", "language_id": 71}),
                   403, "forbidden")
