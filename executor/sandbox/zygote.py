# jobgate zygote, the Python half (executor/sandbox/zygote.py; the native half is zygote_ext.c).
#
# Run as `python3 <flags> -c <this file>` by the box's init turned zygote (init.c): root with five
# capabilities, no_new_privs and the zygote's seccomp filter, pid 1 of a pid namespace inside the box.
# fd 3 is the control socket. It never runs a job's code itself:
#   1. the hello (fd 3): ids, the runs' seccomp filter, the scripts to preload, and - by SCM_RIGHTS - the
#      native half as a memfd, loaded from /proc/self/fd;
#   2. each preload is compiled and run once as module __jobgate_preload__ (imports warm; an
#      `if __name__ == "__main__":` block does not run); its code object is kept by (path, source);
#   3. _jobgate_zygote.serve() is the fork server. It returns only in a run's child, confined, with the
#      script's argv; the child then does what `python3 <flags> script args` does, minus the start.


def _zygote():
    import gc
    import importlib.machinery
    import importlib.util
    import os
    import socket
    import struct
    import sys

    ctl = socket.socket(fileno=3)
    try:
        hello, fds, _, _ = socket.recv_fds(ctl, 1 << 20, 1)
    finally:
        ctl.detach()
    magic, size, uid, gid, cap_last, nfilter, npreload, python = struct.unpack_from("=IIIIiIII", hello)
    if size != len(hello) or len(fds) != 1:
        raise SystemExit("zygote: bad hello")
    if sys.version_info[:2] != (python >> 8, python & 0xFF):
        raise SystemExit("zygote: its native half was built for Python %d.%d, this is %d.%d"
                         % (python >> 8, python & 0xFF, *sys.version_info[:2]))
    path = "/proc/self/fd/%d" % fds[0]
    loader = importlib.machinery.ExtensionFileLoader("_jobgate_zygote", path)
    native = importlib.util.module_from_spec(importlib.util.spec_from_loader("_jobgate_zygote", loader))
    loader.exec_module(native)
    os.close(fds[0])
    del sys.modules["_jobgate_zygote"]  # not importable by jobs; serve() is held below

    compiled = {}
    at = 32 + 8 * nfilter
    for _ in range(npreload):
        plen, slen = struct.unpack_from("=II", hello, at)
        at += 8
        script = hello[at:at + plen].decode()
        source = hello[at + plen:at + plen + slen]
        at += plen + slen
        code = compile(source, script, "exec", dont_inherit=True)
        exec(code, {"__name__": "__jobgate_preload__", "__file__": script, "__builtins__": __builtins__})
        compiled[(script, source)] = code
    for stream in (sys.stdout, sys.stderr):  # what the preloads printed must not reach a run's output
        stream.flush()
    flags = sys.orig_argv[:sys.orig_argv.index("-c")]
    serve, native, hello = native.serve, None, hello[:32 + 8 * nfilter]
    gc.collect()
    gc.freeze()  # children share these pages: the collector must not write to them
    argv = serve(3, hello)
    del serve, hello
    _run(flags, list(argv), compiled)


def _run(flags, argv, compiled):
    """In a run's child: `python3 <flags> argv...`, the script taken precompiled when its source is."""
    import builtins
    import importlib.machinery
    import os
    import sys
    import types

    sys.argv = argv
    sys.orig_argv = flags + argv
    path = argv[0] if argv[0].startswith("/") else os.path.join(os.getcwd(), argv[0])
    try:
        with open(path, "rb") as f:
            source = f.read()
    except OSError as e:
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (flags[0], path, e.errno, e.strerror))
        _exit(2)
    main = types.ModuleType("__main__")
    main.__dict__.update(__annotations__={}, __builtins__=builtins, __file__=path, __cached__=None,
                         __loader__=importlib.machinery.SourceFileLoader("__main__", path))
    sys.modules["__main__"] = main
    status = 0
    try:
        code = compiled.get((path, source))
        if code is None:
            code = compile(source, path, "exec", dont_inherit=True)
        del compiled, source
        exec(code, main.__dict__)
    except SystemExit as e:
        status = _system_exit(e)
    except BaseException as e:
        tb = e.__traceback__
        if tb is not None and tb.tb_frame.f_code is _run.__code__:
            # Our own frame is not the script's: the traceback starts where `python3 script` would.
            tb = e.__traceback__ = tb.tb_next
        sys.excepthook(type(e), e, tb)
        status = 1
    _exit(status)


def _system_exit(e):
    import sys
    code = e.code
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF if -(1 << 31) <= code < (1 << 31) else 255
    try:
        sys.stderr.write("%s\n" % (code,))
    except BaseException:
        pass
    return 1


def _exit(status):
    """Py_FinalizeEx's steps that a job can observe: threads joined, atexit, std streams flushed."""
    import os
    import sys
    threading = sys.modules.get("threading")
    try:
        if threading is not None:
            threading._shutdown()
    except BaseException:
        pass
    import atexit
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            if stream is sys.stdout:
                status = 120
    os._exit(status)


_zygote()
