# kill(-1) and the run's init from Python: every process this uid may signal is the run's own. The zygote
# that forked this run (when there is one), the run's init and the host's processes of the box uid are out
# of reach; kill(-1) spares the caller, so the run ends normally.
import os
import signal
import sys

if os.fork() == 0:
    signal.pause()
    os._exit(0)
os.kill(-1, signal.SIGKILL)
for pid in (1, os.getppid()):
    try:
        os.kill(pid, signal.SIGKILL)
        print("signalled", pid)
        sys.exit(1)
    except PermissionError:
        pass
