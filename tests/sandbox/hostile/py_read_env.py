# Look for the executor's secrets from Python: environment, /proc, the host file given as argv[2].
import os, sys
found = 0
print("environ", dict(os.environ))
for path in ["/proc/1/environ", "/proc/self/environ", "/etc/shadow"] + sys.argv[2:3]:
    try:
        with open(path, "rb") as f:
            data = f.read()
        print("READ", path, data[:200])
        if path != "/proc/self/environ":
            found += 1
    except OSError as e:
        print("no", path, e.errno)
sys.exit(1 if found else 0)
