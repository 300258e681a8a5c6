# Look around from Python for anything that is not this run's: other processes in /proc (the run's init,
# the zygote that forked it, the executor), their memory, environment and files, the zygote's /box and
# /tmp, other runs' files, the host file given as argv[2]. Exit 1 when anything was readable.
import os
import sys

found = 0


def read(path):
    global found
    try:
        with open(path, "rb") as f:
            data = f.read(4096)
    except OSError:
        return
    print("READ", path, data[:120])
    found += 1


me = os.getpid()
pids = [int(p) for p in os.listdir("/proc") if p.isdigit()]
for pid in pids + [0, 1, 2, 3]:
    if pid == me:
        continue
    for what in ("environ", "cmdline", "mem", "maps", "stat", "root/etc/hostname", "cwd/payload.pkl"):
        read("/proc/%d/%s" % (pid, what))
for path in ["/etc/shadow", "/root/.bashrc", "/proc/kcore"] + sys.argv[2:3]:
    read(path)
for d in ("/box", "/tmp", "/dev/shm", "/mnt"):
    names = sorted(set(os.listdir(d)) - {"prog.py"})
    if names:
        print("FOUND in", d, names)
        found += 1
print("pids", sorted(pids))
sys.exit(1 if found else 0)
