#!/usr/bin/python3
"""The problem folders of tests/problems as `PUT /problems/<name>` bodies (see README.md).

    problemset.body("aplusb")                  -> the JSON body of problem.json
    problemset.body("any_pair", "problem_py")  -> of a variant
    problemset.solutions("aplusb")             -> [(file, runtime, source bytes, expected)]
Run as a script to upload problems to a gateway (JOBGATE_URL, JOBGATE_TOKEN of an admin).
"""
import base64
import json
import os
import sys
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RUNTIMES = {".c": "c11", ".cpp": "cpp17", ".py": "python3"}


def b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def body(problem, variant="problem"):
    folder = os.path.join(HERE, problem)
    with open(os.path.join(folder, variant + ".json")) as f:
        doc = json.load(f)
    for t in doc["tests"]:
        t["input"] = b64file(os.path.join(folder, "tests", t["input"]))
        t["expected"] = b64file(os.path.join(folder, "tests", t["expected"]))
    checker = doc.get("checker")
    if isinstance(checker, dict) and str(checker.get("code", "")).startswith("@"):
        checker["code"] = b64file(os.path.join(folder, checker["code"][1:]))
    return doc


def solutions(problem):
    folder = os.path.join(HERE, problem)
    with open(os.path.join(folder, "expected.json")) as f:
        expected = json.load(f)
    out = []
    for name in sorted(expected):
        with open(os.path.join(folder, "solutions", name), "rb") as f:
            out.append((name, RUNTIMES[os.path.splitext(name)[1]], f.read(), expected[name]))
    return out


def problems():
    return sorted(d for d in os.listdir(HERE) if os.path.isfile(os.path.join(HERE, d, "problem.json")))


def main(names):
    url, token = os.environ["JOBGATE_URL"], os.environ["JOBGATE_TOKEN"]
    for name in names or problems():
        req = urllib.request.Request("%s/problems/%s" % (url, name), method="PUT",
                                     data=json.dumps(body(name)).encode(),
                                     headers={"Authorization": "Bearer " + token,
                                              "Content-Type": "application/json"})
        with urllib.request.urlopen(req) as r:
            doc = json.load(r)
        print("%s: version %d, %d tests, max score %g" % (name, doc["version"], doc["test_count"],
                                                          doc["max_score"]))


if __name__ == "__main__":
    main(sys.argv[1:])
