# jobgate zygote, the Python half (executor/sandbox/zygote.py; the native half is zygote_ext.c).
#
# Run as `python3 <flags> -c <this file>` by the box's init turned zygote (init.c): root with six
# capabilities, no_new_privs and the zygote's seccomp filter, pid 1 of a pid namespace inside the box.
# fd 3 is the control socket. It never runs a job's code itself:
#   1. the hello (fd 3): ids, the runs' seccomp filter, the scripts to preload, and - by SCM_RIGHTS - the
#      native half as a memfd, loaded from /proc/self/fd;
#   2. each preloaded script runs once here, as module __main__ (its own module object), except its
#      `if __name__ == "__main__":` blocks: imports, definitions and constants are made once; a script
#      without such a block only has its imports warmed (it runs once under another name);
#   3. _jobgate_zygote.serve() is the fork server. It returns only in a run's child, confined, with the
#      script's argv; the child then does what `python3 <flags> script args` does, minus the start: for
#      a preloaded source only its main blocks run, in its copy of the preloaded module.
import sys


def _zygote():
    # Builtin modules only, up to the preloads: every page the zygote holds is copied into two page tables per
    # run (socket.py, struct.py and ast.py would add 2 MB of them).
    import _ast
    import _socket
    import builtins
    import gc
    import importlib.machinery
    import importlib.util
    import os

    ctl = _socket.socket(fileno=3)
    try:
        hello, anc, _, _ = ctl.recvmsg(1 << 20, _socket.CMSG_SPACE(4))
    finally:
        ctl.detach()
    fds = [int.from_bytes(data[:4], sys.byteorder) for level, kind, data in anc
           if level == _socket.SOL_SOCKET and kind == _socket.SCM_RIGHTS]

    def u32(at):
        return int.from_bytes(hello[at:at + 4], sys.byteorder)

    size, nfilter, npreload, python = u32(4), u32(20), u32(24), u32(28)
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

    def is_main_guard(node):
        t = node.test if isinstance(node, _ast.If) else None
        return (isinstance(t, _ast.Compare) and isinstance(t.left, _ast.Name) and t.left.id == "__name__"
                and len(t.ops) == 1 and isinstance(t.ops[0], _ast.Eq) and len(t.comparators) == 1
                and isinstance(t.comparators[0], _ast.Constant) and t.comparators[0].value == "__main__")

    preloaded = {}
    at = 40 + 8 * nfilter  # struct sbx_zygote_hello, then the filter
    for _ in range(npreload):
        plen, slen = u32(at), u32(at + 4)
        at += 8
        script = hello[at:at + plen].decode()
        source = hello[at + plen:at + plen + slen]
        at += plen + slen
        tree = compile(source, script, "exec", _ast.PyCF_ONLY_AST, dont_inherit=True)
        guards = [node for node in tree.body if is_main_guard(node)]
        if guards:
            main = _main_module(script)
            body = _ast.Module([node for node in tree.body if node not in guards], [])
            exec(compile(body, script, "exec", dont_inherit=True), main.__dict__)
            preloaded[(script, source)] = (main, compile(_ast.Module(guards, []), script, "exec", dont_inherit=True))
        else:
            code = compile(tree, script, "exec", dont_inherit=True)
            exec(code, {"__name__": "__jobgate_preload__", "__file__": script, "__builtins__": builtins})
            preloaded[(script, source)] = (None, code)
        del tree, guards
    for stream in (sys.stdout, sys.stderr):  # what the preloads printed must not reach a run's output
        stream.flush()
    flags = sys.orig_argv[:sys.orig_argv.index("-c")]
    serve, native, hello = native.serve, None, hello[:40 + 8 * nfilter]
    gc.collect()
    gc.freeze()  # children share these pages: the collector must not write to them
    argv = serve(3, hello)
    del serve, hello
    _run(flags, list(argv), preloaded)


def _main_module(path):
    """A __main__ module as `python3 path` makes it."""
    import builtins
    import importlib.machinery
    import types
    main = types.ModuleType("__main__")
    main.__dict__.update(__annotations__={}, __builtins__=builtins, __file__=path, __cached__=None,
                         __loader__=importlib.machinery.SourceFileLoader("__main__", path))
    return main


def _run(flags, argv, preloaded):
    """In a run's child: `python3 <flags> argv...`."""
    _after_fork()
    sys.argv = argv
    sys.orig_argv = flags + argv
    script = argv[0]
    path = script if script.startswith("/") else _cwd_join(script)
    try:
        source = _read(path)
    except OSError as e:
        sys.stderr.write("%s: can't open file %r: [Errno %d] %s\n" % (flags[0], path, e.errno, e.strerror))
        _exit(2)
    status, interrupted = 0, False
    try:
        main, code = preloaded.get((path, source), (None, None))
        if main is None:
            main = sys.modules["__main__"] = _main_module(path)
            if code is None:
                code = compile(source, path, "exec", dont_inherit=True)
        else:
            sys.modules["__main__"] = main
        del preloaded, source
        exec(code, main.__dict__)
    except SystemExit as e:
        status = _system_exit(e)
    except BaseException as e:
        tb = e.__traceback__
        if tb is not None and tb.tb_frame.f_code is _run.__code__:
            # Our own frame is not the script's: the traceback starts where `python3 script` would.
            tb = e.__traceback__ = tb.tb_next
        sys.excepthook(type(e), e, tb)
        status, interrupted = 1, isinstance(e, KeyboardInterrupt)
    _exit(status, interrupted)


def _after_fork():
    """What of Python's fork hooks a run needs (zygote_ext.c says why they do not run): its own random
    state when a preload imported random, and its own thread id on the main Thread."""
    rnd = sys.modules.get("random")
    if rnd is not None:
        rnd.seed()
    threading = sys.modules.get("threading")
    if threading is not None and hasattr(threading.main_thread(), "_set_native_id"):
        threading.main_thread()._set_native_id()


def _cwd_join(script):
    import os
    cwd = os.getcwd()
    return cwd + script if cwd.endswith("/") else cwd + "/" + script


def _read(path):
    import os
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)
    finally:
        os.close(fd)


def _system_exit(e):
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


def _exit(status, interrupted=False):
    """Py_FinalizeEx's steps that a job can observe: threads joined, atexit, std streams flushed; then, after
    an unhandled KeyboardInterrupt, death by SIGINT (Py_RunMain's exit_sigint)."""
    import os
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
    if interrupted:
        import signal
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        status = 128 + signal.SIGINT
    os._exit(status)


_zygote()
