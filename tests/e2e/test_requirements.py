"""requirements: installed by the executor from its package index (here a wheel directory with the
package jgtiny, see conftest.py) into a virtual environment cached by the requirement list, mounted
read-only into the job's runs."""
from __future__ import annotations

import errno
import hashlib
import pickle
import re
import sys
from pathlib import Path

import cloudpickle
import pytest

from conftest import BACKEND, b64, unb64

cloudpickle.register_pickle_by_value(sys.modules[__name__])


def tiny_value():
    import jgtiny
    return jgtiny.VALUE


def write_into_the_environment():
    import jgtiny
    try:
        with open(jgtiny.__file__, "a") as f:
            f.write("hacked = True\n")
    except OSError as e:
        failed = e.errno
    else:
        failed = 0
    with open("/proc/self/mountinfo") as f:
        options = [line.split()[5] for line in f if line.split()[4] == "/mnt"]
    return jgtiny.__file__, failed, options


def mnt_entries():
    import os
    return os.listdir("/mnt")


def call(fn, requirements=None) -> dict:
    job = {"runtime": "python3", "kind": "call", "code": b64(cloudpickle.dumps((fn, (), {})))}
    if requirements is not None:
        job["requirements"] = requirements
    return job


def venv_dir(cluster, requirements: list[str]) -> str:
    """Where the executor caches the environment of this list (venv.h: interpreter + sorted list)."""
    key = b"/usr/bin/python3\0" + b"".join(r.encode() + b"\0" for r in sorted(set(requirements)))
    return str(cluster.tmp / "venvs" / hashlib.sha256(key).hexdigest()[:32])


def installs(cluster, directory: str) -> int:
    return re.findall(r"requirements installed into (\S+) in", cluster.logs()).count(directory)


def test_call_imports_an_installed_package_and_the_environment_is_cached(cluster, client):
    job = client.wait_done(client.submit(call(tiny_value, ["jgtiny"])))
    assert job["status"] == "completed" and job["verdict"] == "OK", job
    assert pickle.loads(unb64(job["result"])) == "jgtiny 1.0"
    where = venv_dir(cluster, ["jgtiny"])
    assert installs(cluster, where) == 1, cluster.logs()
    # The same list (order and repeats do not matter): no second install.
    job = client.wait_done(client.submit(call(tiny_value, ["jgtiny", "jgtiny"])))
    assert job["verdict"] == "OK", job
    assert installs(cluster, where) == 1
    assert f"requirements cached in {where}" in cluster.logs()


def test_concurrent_jobs_share_one_install(cluster, client):
    ids = [client.submit(call(tiny_value, ["jgtiny==1.0"])) for _ in range(4)]
    for job_id in ids:
        job = client.wait_done(job_id)
        assert job["verdict"] == "OK" and pickle.loads(unb64(job["result"])) == "jgtiny 1.0", job
    assert installs(cluster, venv_dir(cluster, ["jgtiny==1.0"])) == 1, cluster.logs()


def test_function_with_requirements(client):
    src = "import jgtiny\n\ndef value(suffix):\n    return jgtiny.VALUE + suffix\n"
    job = client.wait_done(client.submit({"runtime": "python3", "kind": "function", "code": b64(src),
                                          "entrypoint": "value", "args": ["!"], "requirements": ["jgtiny"]}))
    assert job["verdict"] == "OK" and job["value"] == "jgtiny 1.0!", job
    tests = [{"args": ["?"], "expected": "jgtiny 1.0?"}, {"args": [""], "expected": "jgtiny 1.0"}]
    job = client.wait_done(client.submit({"runtime": "python3", "kind": "function", "code": b64(src),
                                          "entrypoint": "value", "tests": tests, "requirements": ["jgtiny"]}))
    assert job["verdict"] == "OK" and job["score"] == 2, job


@pytest.mark.skipif(BACKEND == "bare", reason="the bare backend mounts nothing")
def test_the_environment_is_read_only_and_only_in_its_jobs(cluster, client):
    job = client.wait_done(client.submit(call(write_into_the_environment, ["jgtiny"])))
    assert job["verdict"] == "OK", job
    path, failed, options = pickle.loads(unb64(job["result"]))
    assert path.startswith("/mnt/lib/python3") and failed in (errno.EACCES, errno.EROFS), (path, failed)
    assert len(options) == 1 and set(options[0].split(",")) >= {"ro", "nosuid", "nodev"}, options
    host = Path(venv_dir(cluster, ["jgtiny"])) / path[len("/mnt/"):]
    assert "hacked" not in host.read_text()
    job = client.wait_done(client.submit(call(mnt_entries)))
    assert job["verdict"] == "OK" and pickle.loads(unb64(job["result"])) == [], job
    job = client.wait_done(client.submit(call(tiny_value)))
    assert job["verdict"] == "EXC" and job["error"]["type"] == "ModuleNotFoundError", job


def test_a_failed_install_fails_the_job_with_pips_message(client):
    job = client.wait_done(client.submit(call(tiny_value, ["jgtiny", "no-such-package"])))
    assert job["status"] == "failed", job
    assert job["error"]["type"] == "RequirementsError", job
    msg = job["error"]["message"]
    assert msg.startswith("pip install failed: ERROR: "), msg
    assert "No matching distribution found for no-such-package" in msg, msg


def test_requirements_of_a_c_program_are_refused(client):
    job = client.wait_done(client.submit({"runtime": "c11", "kind": "program", "stdin": "",
                                          "code": b64("int main(void){return 0;}\n"), "requirements": ["jgtiny"]}))
    assert job["status"] == "failed" and job["error"]["type"] == "RequirementsError", job


def test_python_program_with_requirements(client):
    job = client.wait_done(client.submit({"runtime": "python3", "kind": "program", "stdin": "",
                                          "code": b64("import jgtiny\nprint(jgtiny.VALUE)\n"),
                                          "requirements": ["jgtiny"]}))
    assert job["verdict"] == "OK" and unb64(job["stdout"]) == b"jgtiny 1.0\n", job
