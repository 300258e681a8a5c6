import ctypes
ctypes.CDLL(None).unshare(0)
print("not reached")
