"""The hostile suite through the executor: hostile programs submitted as real jobs, each with the verdict
it must get, then a check that the host is untouched — a canary file unchanged, nothing written to /usr,
/etc or /, no process of the executor's box uids left, no secret of the executor (its token and a
variable of its environment, a root-only host file) in anything the job sent back. The sandbox-level
suite (tests/sandbox/hostile) has the full list; this one proves the daemon runs jobs the same way."""
from __future__ import annotations

import glob
import os
import secrets
import signal
import time
from types import SimpleNamespace

import pytest

from conftest import BACKEND, b64, unb64

pytestmark = pytest.mark.skipif(BACKEND == "bare", reason="the bare backend isolates nothing")

FORK_BOMB = "#include <unistd.h>\nint main(void){for(;;)fork();}\n"
MEMORY_BOMB = ("#include <stdlib.h>\n#include <string.h>\nint main(void){for(;;){char*p=malloc(1<<20);"
               "if(!p)return 3;memset(p,1,1<<20);}}\n")
SOCKET_C = ("#include <sys/socket.h>\n#include <stdio.h>\n"
            "int main(void){int s=socket(AF_INET,SOCK_STREAM,0);printf(\"socket %d\\n\",s);return 0;}\n")
SOCKET_PY = "import socket\ns = socket.socket()\nprint('socket', s.fileno())\n"
READ_SECRETS = """import glob, os
paths = ["/etc/shadow", "/root", "/proc/1/environ", "/proc/1/cmdline", "/proc/self/environ", {secret!r},
         {canary!r}] + glob.glob("/proc/[0-9]*/environ")
for p in paths:
    try:
        with open(p, "rb") as f:
            print("READ", p, f.read(4096))
    except OSError as e:
        print("no", p, e.errno)
print("env", sorted(os.environ))
"""
WRITE_OUTSIDE = """#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void){{
    const char *paths[] = {{"{canary}", "/usr/pwned", "/etc/pwned", "/pwned", "/dev/pwned", "/usr/bin/true"}};
    int bad = 0;
    for(unsigned i = 0; i < sizeof paths / sizeof *paths; i++){{
        int fd = open(paths[i], O_WRONLY | O_CREAT | O_TRUNC, 0666);
        if(fd >= 0 && write(fd, "pwned", 5) == 5){{ printf("wrote %s\\n", paths[i]); bad++; }}
    }}
    return bad;
}}
"""
DAEMON = """import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.close(fd)
        while True:
            time.sleep(0.1)
    os._exit(0)
time.sleep(0.5)
print("left a daemon behind")
"""
WRITTEN_ELSEWHERE = ["/usr/pwned", "/etc/pwned", "/pwned"]


@pytest.fixture(scope="module")
def host(cluster):
    """One executor with secrets in its environment (its token too); nothing else competing for jobs."""
    for ex in cluster.executors:
        if ex.proc.poll() is None:
            ex.proc.send_signal(signal.SIGTERM)
            ex.proc.wait(60)
    h = SimpleNamespace(secret="jobgate-e2e-secret-" + secrets.token_hex(8), dir=cluster.tmp / "host")
    h.dir.mkdir()
    h.canary = h.dir / "canary.txt"
    h.canary.write_text("canary\n")
    h.secret_file = h.dir / "secret.txt"
    h.secret_file.write_text(h.secret + "\n")
    os.chmod(h.secret_file, 0o600)
    h.executor = cluster.start_executor("--slots", "2", name="hostile",
                                        env={"JOBGATE_TOKEN": cluster.exec_token, "E2E_SECRET": h.secret})
    h.uids = {h.executor.first_uid, h.executor.first_uid + 1}
    h.token = cluster.exec_token
    yield h
    h.executor.proc.send_signal(signal.SIGTERM)
    h.executor.proc.wait(60)


def box_processes(uids: set[int]) -> list[str]:
    found = []
    for status in glob.glob("/proc/[0-9]*/status"):
        try:
            with open(status) as f:
                uid = next(int(line.split()[1]) for line in f if line.startswith("Uid:"))
        except (OSError, StopIteration):
            continue
        if uid in uids:
            found.append(status)
    return found


def assert_host_untouched(h, job: dict):
    assert h.canary.read_text() == "canary\n"
    for path in WRITTEN_ELSEWHERE:
        assert not os.path.exists(path), path
    deadline = time.monotonic() + 30
    while box_processes(h.uids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert box_processes(h.uids) == [], "processes of the box uids outlived the job"
    sent_back = (unb64(job.get("stdout")) + unb64(job.get("stderr")) + unb64(job.get("compile_output"))).decode(
        errors="replace") + repr(job.get("error"))
    assert h.secret not in sent_back and h.token not in sent_back, sent_back


def run(client, runtime: str, source: str, limits: dict | None = None) -> dict:
    job = {"runtime": runtime, "kind": "program", "code": b64(source), "stdin": ""}
    if limits:
        job["limits"] = limits
    return client.wait_done(client.submit(job), timeout=180)


@pytest.mark.parametrize("name,runtime,source,limits,verdict", [
    ("fork bomb", "c11", FORK_BOMB, {"processes": 32, "cpu_ms": 1000, "wall_ms": 20000}, "TLE"),
    ("memory bomb", "c11", MEMORY_BOMB, {"memory_mb": 64, "wall_ms": 20000}, "MLE"),
    ("network socket (C)", "c11", SOCKET_C, None, "SYS"),
    ("network socket (Python)", "python3", SOCKET_PY, None, "SYS"),
])
def test_hostile_program_gets_its_verdict(cluster, host, name, runtime, source, limits, verdict):
    job = run(cluster.client, runtime, source, limits)
    assert job["status"] == "completed" and job["verdict"] == verdict, (name, job)
    assert b"socket " not in unb64(job["stdout"])
    assert_host_untouched(host, job)


def test_reading_host_secrets_and_the_executors_environment_finds_nothing(cluster, host):
    job = run(cluster.client, "python3", READ_SECRETS.format(secret=str(host.secret_file), canary=str(host.canary)))
    assert job["verdict"] == "OK", job
    out = unb64(job["stdout"]).decode()
    assert "no /etc/shadow 2" in out and f"no {host.secret_file} 2" in out and f"no {host.canary} 2" in out, out
    assert "READ /proc/1/environ" not in out, out  # the run's init: hidden from the box uid
    assert "env ['HOME', 'LANG', 'PATH', 'TMPDIR']" in out, out
    assert_host_untouched(host, job)


def test_writing_outside_the_box_changes_nothing(cluster, host):
    job = run(cluster.client, "c11", WRITE_OUTSIDE.format(canary=str(host.canary)))
    assert job["verdict"] == "OK" and job["exit_code"] == 0, job
    assert unb64(job["stdout"]) == b"", job
    assert_host_untouched(host, job)


def test_a_daemonized_child_dies_with_the_job(cluster, host):
    job = run(cluster.client, "python3", DAEMON)
    assert job["verdict"] == "OK" and unb64(job["stdout"]) == b"left a daemon behind\n", job
    assert_host_untouched(host, job)


def test_the_executor_still_runs_jobs_afterwards(cluster, host):
    job = run(cluster.client, "python3", "print(6 * 7)\n")
    assert job["verdict"] == "OK" and unb64(job["stdout"]) == b"42\n", job
    assert host.executor.proc.poll() is None
    assert_host_untouched(host, job)
