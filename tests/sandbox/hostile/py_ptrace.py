# ptrace from Python (ctypes): attach to the run's init, the parent of this process. Fatal (SIGSYS).
import ctypes

ctypes.CDLL(None, use_errno=True).ptrace(16, 1, 0, 0)  # PTRACE_ATTACH
print("ptrace returned")
