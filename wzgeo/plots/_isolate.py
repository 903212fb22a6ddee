"""Reading an untrusted file in a child process with memory, CPU-time and wall-clock limits.

The app serves every user from one process, so a file that makes a reader allocate
gigabytes, loop for minutes or crash inside a C library must not run in it. :func:`run_limited`
runs a function in a child process that has

- an address-space limit (``RLIMIT_AS``: what it starts with plus ``Limits.memory_mb``),
- a CPU-time limit (``RLIMIT_CPU``: ``Limits.cpu_s``; the kernel stops it at the limit),
- a wall-clock limit (``Limits.wall_s``, waiting for a turn included: the caller kills it),
- no core dumps,

and turns every way the child can end into either its result, its own
:class:`wzgeo.WzgeoError`, or a bilingual :class:`wzgeo.InputFileError` naming the limit.
At most ``Limits.workers`` children run at once per process; further files wait for a turn
(within their wall-clock time).

Where the children come from:

- A process with a single Python thread (the ``wzgeo`` command, a script, the tests) forks
  itself: quick, and safe because no other thread can hold a lock at the fork.
- A process with several threads (the Streamlit server) must not fork itself (a lock held by
  another thread would stay locked in the child). It starts one helper process, the *zygote*,
  which imports the readers once and forks a fresh child for each file; the server talks to
  each child over its own socket, and the zygote reports how children ended and kills them on
  request. The zygote ends when the server does (its stdin closes) and takes its children
  with it. If it dies it is started again for the next file.

On systems without ``fork`` and ``resource`` (Windows) the function runs in the calling
process, with the reader's own counting limits only.
"""

from __future__ import annotations

import atexit
import contextlib
import faulthandler
import importlib
import logging
import math
import os
import pickle
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from wzgeo.errors import InputFileError, WzgeoError
from wzgeo.plots._limits import Limits

__all__ = [
    "isolation_available",
    "run_limited",
    "start_zygote",
    "stop_zygote",
    "zygote_main",
]

logger = logging.getLogger(__name__)

_FRAME = struct.Struct("!cQ")  # kind, payload length
_PID = struct.Struct("!q")
_EXIT_GRACE_S = 5.0  # how long to wait for a killed child's exit report


def isolation_available() -> bool:
    """True when this system can run readers in limited child processes (Linux, macOS)."""
    try:
        import resource  # noqa: F401
    except ImportError:
        return False
    return hasattr(os, "fork") and hasattr(socket, "send_fds") and hasattr(socket, "AF_UNIX")


# --------------------------------------------------------------------------- messages


def _err(name: str, zh: str, en: str) -> InputFileError:
    return InputFileError(f"文件 {name}：{zh}", f"File {name}: {en}")


_HINT_ZH = (
    "服务器未受影响。文件可能过大，或被构造成耗尽资源；请只导出需要检查的地块，或拆分后分别上传。"
)
_HINT_EN = (
    "The server is unaffected. The file may be too large or built to exhaust resources; "
    "export only the plots to check, or split it and upload the parts."
)


def _g(x: float) -> str:
    """A limit for a message: ``1,024``, ``60``, ``0.05``."""
    return f"{x:,.0f}" if x >= 10 else f"{x:g}"


def _memory_error(name: str, limits: Limits, signal_name: str = "") -> InputFileError:
    crash_zh = f"（或使读取程序崩溃：{signal_name}）" if signal_name else ""
    crash_en = f" (or crashed the reader: {signal_name})" if signal_name else ""
    return _err(
        name,
        f"读取它需要超过 {_g(limits.memory_mb)} MB 内存{crash_zh}，已停止。{_HINT_ZH}",
        f"reading it needs more than {_g(limits.memory_mb)} MB of memory{crash_en} and was "
        f"stopped. {_HINT_EN}",
    )


def _cpu_error(name: str, limits: Limits) -> InputFileError:
    return _err(
        name,
        f"读取它用了超过 {_g(limits.cpu_s)} 秒 CPU 时间（或超出内存上限），已停止。{_HINT_ZH}",
        f"reading it took more than {_g(limits.cpu_s)} s of CPU time (or went over the "
        f"memory limit) and was stopped. {_HINT_EN}",
    )


def _wall_error(name: str, limits: Limits) -> InputFileError:
    return _err(
        name,
        f"读取超过 {_g(limits.wall_s)} 秒仍未完成，已停止。{_HINT_ZH}",
        f"reading it did not finish within {_g(limits.wall_s)} s and was stopped. {_HINT_EN}",
    )


def _busy_error(name: str, limits: Limits) -> InputFileError:
    return _err(
        name,
        f"服务器正在读取其他文件（同时最多 {limits.workers} 个），{_g(limits.wall_s)} 秒内"
        "没有轮到它。请稍后重试。",
        f"the server is busy reading other files (at most {limits.workers} at a time) and "
        f"this one got no turn within {_g(limits.wall_s)} s. Try again in a moment.",
    )


def _crash_error(name: str, how_zh: str, how_en: str) -> InputFileError:
    return _err(
        name,
        f"读取文件的进程意外终止（{how_zh}），文件可能损坏，或被构造成攻击读取程序。服务器未受影响。"
        "请从原软件重新导出。",
        f"the process reading the file stopped unexpectedly ({how_en}); the file may be damaged "
        "or built to attack the reader. The server is unaffected. Export it again from the "
        "original software.",
    )


def _recursion_error(name: str) -> InputFileError:
    return _err(
        name,
        "文件的结构嵌套过深，无法读取。请从原软件重新导出。",
        "its structure is nested too deeply to read. Export it again from the original software.",
    )


def _unexpected_error(name: str, summary: str) -> InputFileError:
    return _err(
        name,
        f"读取时出现意外错误（{summary}）。文件可能损坏；请重新导出。"
        "若文件在 GIS 软件中能正常打开，请把文件和这条消息发给维护人员。",
        f"an unexpected error occurred while reading it ({summary}). The file may be damaged; "
        "export it again. If it opens fine in GIS software, send the file and this message "
        "to the maintainers.",
    )


# --------------------------------------------------------------------------- the child side


def _vm_bytes() -> int | None:
    """This process's current address-space size (Linux), or None."""
    try:
        with open("/proc/self/status", encoding="ascii", errors="replace") as fh:
            for line in fh:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def _apply_limits(limits: Limits) -> None:
    """Limit this (child) process: address space, CPU time, no core files."""
    import resource

    def lower(which: int, soft: int, hard: int) -> None:
        _, cur_hard = resource.getrlimit(which)
        if cur_hard != resource.RLIM_INFINITY:
            soft, hard = min(soft, cur_hard), min(hard, cur_hard)
        resource.setrlimit(which, (soft, hard))

    lower(resource.RLIMIT_CORE, 0, 0)
    cpu = max(1, math.ceil(limits.cpu_s))
    lower(resource.RLIMIT_CPU, cpu, cpu + 1)
    vm = _vm_bytes()
    if vm is not None:
        mem = vm + int(limits.memory_mb * 1024 * 1024)
        lower(resource.RLIMIT_AS, mem, mem)


def _call(func: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple:
    """Call ``func``; its result or how it failed, as a picklable tuple."""
    try:
        return ("ok", func(*args, **kwargs))
    except WzgeoError as e:
        return ("error", type(e), e.zh, e.en, dict(e.__dict__))
    except MemoryError:
        return ("memory",)
    except RecursionError:
        return ("recursion",)
    except Exception as e:  # reported to the caller as a bilingual error, traceback logged
        summary = f"{type(e).__name__}: {e}"
        return ("unexpected", summary[:500], traceback.format_exc()[-8000:])


def _send_frame(sock: socket.socket, kind: bytes, payload: bytes) -> None:
    sock.sendall(_FRAME.pack(kind, len(payload)) + payload)


def _recv_exact(sock: socket.socket, n: int, deadline: float | None) -> bytes | None:
    """``n`` bytes from ``sock``; None at end of stream; :class:`TimeoutError` past ``deadline``."""
    chunks = []
    while n:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            sock.settimeout(left)
        try:
            chunk = sock.recv(min(n, 1 << 20))
        except TimeoutError:
            raise
        except OSError:  # connection reset: the other side is gone
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def _recv_frame(sock: socket.socket, deadline: float | None) -> tuple[bytes, bytes] | None:
    head = _recv_exact(sock, _FRAME.size, deadline)
    if head is None:
        return None
    kind, size = _FRAME.unpack(head)
    payload = _recv_exact(sock, size, deadline)
    if payload is None:
        return None
    return kind, payload


def _serve(sock: socket.socket) -> None:
    """Child: report the pid, read the request, apply its limits, run it, send the outcome."""
    _send_frame(sock, b"P", _PID.pack(os.getpid()))
    frame = _recv_frame(sock, None)
    if frame is None:
        return
    func, args, kwargs, limits = pickle.loads(frame[1])
    _apply_limits(limits)
    outcome = _call(func, args, kwargs)
    del func, args, kwargs, frame
    try:
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
    except MemoryError:
        payload = pickle.dumps(("memory",))
    except RecursionError:
        payload = pickle.dumps(("recursion",))
    except (pickle.PicklingError, TypeError, AttributeError) as e:
        payload = pickle.dumps(("unexpected", f"result not transferable: {e}"[:500], ""))
    del outcome
    _send_frame(sock, b"R", payload)


def _child_main(sock: socket.socket) -> None:
    """Run :func:`_serve` in a forked child and leave without running the parent's exit code."""
    code = 0
    try:
        faulthandler.disable()  # a crash is reported by the caller, without a C stack dump
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        _serve(sock)
    except BaseException:  # the parent learns of it from the missing result and exit code
        code = 70
        with contextlib.suppress(BaseException):
            logger.exception("the file-reading child process failed")
    finally:
        with contextlib.suppress(OSError):
            sock.close()
        os._exit(code)


# --------------------------------------------------------------------------- the zygote


_prepared: set[str] = set()


def _prepare_here(prepare: str | None) -> None:
    """Run the warm-up ``"module:function"`` once in this process (before forking children).

    Work every child would otherwise repeat (imports, GDAL and PROJ set-up) is done once
    and shared with the children through the fork.
    """
    if not prepare or prepare in _prepared:
        return
    _prepared.add(prepare)
    module, _, attr = prepare.partition(":")
    try:
        getattr(importlib.import_module(module), attr)()
    except Exception:  # only a warm-up: the children do the same work themselves if it fails
        logger.exception("warm-up %s failed", prepare)


def zygote_main(ctrl_fd: int, prepare: str = "") -> None:
    """The zygote process: import the readers once, then fork one child per request.

    Requests arrive as datagrams on ``ctrl_fd``: ``T`` with a socket (start a child that
    serves it), ``K`` + pid (kill that child). When a child ends its exit status is sent on
    its socket (frame ``X``). The zygote ends when its stdin closes (the server ended).
    ``prepare`` (``"module:function"``) is called once first: the children start warm.
    """
    _prepare_here(prepare)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    ctrl = socket.socket(fileno=ctrl_fd)
    children: dict[int, socket.socket] = {}

    def reap() -> None:
        while children:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            sock = children.pop(pid, None)
            if sock is not None:
                with contextlib.suppress(OSError):
                    _send_frame(sock, b"X", struct.pack("!i", status))
                sock.close()

    while True:
        ready, _, _ = select.select([ctrl.fileno(), 0], [], [], 0.05 if children else None)
        reap()
        if 0 in ready and not os.read(0, 4096):
            for pid in children:
                with contextlib.suppress(OSError):
                    os.kill(pid, signal.SIGKILL)
            return
        if ctrl.fileno() not in ready:
            continue
        msg, fds, _, _ = socket.recv_fds(ctrl, 64, 4)
        if msg[:1] == b"T" and len(fds) == 1:
            task = socket.socket(fileno=fds[0])
            pid = os.fork()
            if pid == 0:
                ctrl.close()
                os.close(0)
                for other in children.values():
                    other.close()
                _child_main(task)
            children[pid] = task
        else:
            for fd in fds:
                os.close(fd)
            if msg[:1] == b"K":
                pid = int(msg[1:] or 0)
                if pid in children:
                    with contextlib.suppress(OSError):
                        os.kill(pid, signal.SIGKILL)


class _Zygote:
    """The server's handle on its zygote process."""

    def __init__(self, prepare: str | None) -> None:
        self.prepare = prepare
        self.ctrl, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_DGRAM)
        root = str(Path(__file__).resolve().parents[2])  # the folder holding wzgeo/
        path = os.environ.get("PYTHONPATH")
        env = {
            **os.environ,
            "PYTHONPATH": root + (os.pathsep + path if path else ""),
            # one thread per child: the readers do not need more, and CPU time stays fair
            "OPENBLAS_NUM_THREADS": "1",
            "OMP_NUM_THREADS": "1",
            "MKL_NUM_THREADS": "1",
        }
        code = (
            "import sys; from wzgeo.plots._isolate import zygote_main; "
            "zygote_main(int(sys.argv[1]), sys.argv[2])"
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-c", code, str(theirs.fileno()), prepare or ""],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            env=env,
            start_new_session=True,  # Ctrl-C in the server's terminal is for the server
        )
        theirs.close()
        logger.info("started the file-reading zygote (pid %d)", self.proc.pid)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def start(self) -> socket.socket:
        """A socket to a new child of the zygote (its first frame is the child's pid)."""
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            socket.send_fds(self.ctrl, [b"T"], [theirs.fileno()])
        finally:
            theirs.close()
        return ours

    def kill(self, pid: int) -> None:
        with contextlib.suppress(OSError):
            self.ctrl.send(b"K%d" % pid)

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.ctrl.close()


_zygote: _Zygote | None = None
_zygote_lock = threading.Lock()
_stop_at_exit: list[bool] = []
_slots: tuple[int, threading.BoundedSemaphore] | None = None
_slots_lock = threading.Lock()


def _get_zygote(prepare: str | None) -> _Zygote:
    global _zygote
    with _zygote_lock:
        if _zygote is None or not _zygote.alive() or _zygote.prepare != prepare:
            if _zygote is not None:
                if not _zygote.alive():
                    logger.warning(
                        "the file-reading zygote ended (%s); starting a new one",
                        _zygote.proc.returncode,
                    )
                _zygote.close()
            if not _stop_at_exit:
                atexit.register(stop_zygote)
                _stop_at_exit.append(True)
            _zygote = _Zygote(prepare)
        return _zygote


def start_zygote(prepare: str | None = None) -> None:
    """Start the zygote now (a server calls it at start, so the first file does not wait)."""
    if isolation_available():
        _get_zygote(prepare)


def stop_zygote() -> None:
    """End the zygote process if one runs (at exit; it would also end by itself)."""
    global _zygote
    with _zygote_lock:
        if _zygote is not None:
            _zygote.close()
            _zygote = None


@contextlib.contextmanager
def _turn(limits: Limits, deadline: float, name: str) -> Iterator[None]:
    """Wait (until ``deadline``) for one of the ``limits.workers`` places to read a file."""
    global _slots
    with _slots_lock:
        if _slots is None or _slots[0] != limits.workers:
            _slots = (limits.workers, threading.BoundedSemaphore(limits.workers))
        sem = _slots[1]
    if not sem.acquire(timeout=max(0.0, deadline - time.monotonic())):
        raise _busy_error(name, limits)
    try:
        yield
    finally:
        sem.release()


# --------------------------------------------------------------------------- the caller side


def _describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        try:
            sig_name = signal.Signals(sig).name
        except ValueError:
            sig_name = str(sig)
        return f"signal {sig_name}"
    return f"exit code {os.WEXITSTATUS(status) if os.WIFEXITED(status) else status}"


def _status_error(status: int | None, name: str, limits: Limits) -> InputFileError:
    """The error for a child that ended without a result."""
    if status is None:
        return _crash_error(name, "退出状态未知", "exit status unknown")
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return _cpu_error(name, limits)
        if sig in (signal.SIGSEGV, signal.SIGBUS, signal.SIGABRT):
            # C code whose allocation failed at the memory limit ends like this (C++
            # std::bad_alloc → abort); a plain crash would too, and the message says both
            return _memory_error(name, limits, _describe_status(status))
    how = _describe_status(status)
    return _crash_error(name, how, how)


def _outcome(result: tuple, name: str, limits: Limits) -> Any:
    kind = result[0]
    if kind == "ok":
        return result[1]
    if kind == "error":
        cls, zh, en, attrs = result[1:]
        err = cls.__new__(cls)
        WzgeoError.__init__(err, zh, en)
        err.__dict__.update(attrs)
        raise err
    if kind == "memory":
        raise _memory_error(name, limits)
    if kind == "recursion":
        raise _recursion_error(name)
    summary, tb = result[1], result[2]
    logger.error("unexpected error reading %s in the worker:\n%s", name, tb)
    raise _unexpected_error(name, summary)


def _exchange(
    sock: socket.socket,
    request: bytes,
    deadline: float,
    *,
    kill: Callable[[int], None],
    exit_status: Callable[[int | None, socket.socket], int | None],
    name: str,
    limits: Limits,
) -> Any:
    """Send the request to the child behind ``sock`` and wait for its outcome."""
    pid: int | None = None
    status: int | None = None
    try:
        first = _recv_frame(sock, deadline)
        if first is not None and first[0] == b"P":
            pid = _PID.unpack(first[1])[0]
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                _send_frame(sock, b"Q", request)
            frame = _recv_frame(sock, deadline)
        else:
            frame = first
        if frame is not None and frame[0] == b"R":
            return _outcome(pickle.loads(frame[1]), name, limits)
        if frame is not None and frame[0] == b"X":
            status = struct.unpack("!i", frame[1])[0]
        else:
            status = exit_status(pid, sock)
    except TimeoutError:
        if pid is not None:
            kill(pid)
            exit_status(pid, sock)
        raise _wall_error(name, limits) from None
    raise _status_error(status, name, limits)


def _run_forked(request: bytes, deadline: float, name: str, limits: Limits) -> Any:
    """Fork this (single-threaded) process; the child serves the request."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    pid = os.fork()
    if pid == 0:  # the child
        ours.close()
        _child_main(theirs)
    theirs.close()
    reaped = False

    def kill(child: int) -> None:
        with contextlib.suppress(OSError):
            os.kill(child, signal.SIGKILL)

    def exit_status(child: int | None, _sock: socket.socket) -> int | None:
        nonlocal reaped
        _, status = os.waitpid(pid, 0)
        reaped = True
        return status

    try:
        return _exchange(
            ours, request, deadline, kill=kill, exit_status=exit_status, name=name, limits=limits
        )
    finally:
        ours.close()
        if not reaped:
            # it sent its result and is leaving; an unreaped child keeps its pid, so the
            # kill cannot hit another process
            kill(pid)
            os.waitpid(pid, 0)


def _zygote_exit_status(pid: int | None, sock: socket.socket) -> int | None:
    """A zygote child's exit status, which the zygote sends when it has reaped the child."""
    frame = None
    with contextlib.suppress(TimeoutError):
        frame = _recv_frame(sock, time.monotonic() + _EXIT_GRACE_S)
    if frame is not None and frame[0] == b"X":
        return int(struct.unpack("!i", frame[1])[0])
    return None


def _run_in_zygote(
    request: bytes, deadline: float, name: str, limits: Limits, prepare: str | None
) -> Any:
    """Have the zygote fork a child that serves the request."""
    zygote = _get_zygote(prepare)
    try:
        sock = zygote.start()
    except OSError:  # the zygote ended since it was checked: start a new one, once
        stop_zygote()
        zygote = _get_zygote(prepare)
        sock = zygote.start()
    try:
        return _exchange(
            sock,
            request,
            deadline,
            kill=zygote.kill,
            exit_status=_zygote_exit_status,
            name=name,
            limits=limits,
        )
    finally:
        sock.close()


def run_limited(
    func: Callable[..., Any],
    /,
    *args: Any,
    limits: Limits,
    name: str,
    prepare: str | None = None,
    zygote: bool | None = None,
    **kwargs: Any,
) -> Any:
    """Call ``func(*args, **kwargs)`` in a limited child process and return its result.

    Parameters
    ----------
    func
        A module-level function (it is named, not copied, to the child); its arguments and
        result must be picklable.
    limits
        Memory, CPU time, wall-clock time and number of children at once.
    name
        The file name for messages.
    prepare
        ``"module:function"`` to call once in the process the children are forked from
        (imports, library set-up), so each child starts warm.
    zygote
        Force (True) or avoid (False) the zygote; default: use it when this process has
        more than one Python thread.

    Returns
    -------
    Any
        What ``func`` returned.

    Raises
    ------
    WzgeoError
        What ``func`` raised, as it raised it.
    InputFileError
        The child went over a limit, crashed, or raised something else (bilingual; the
        traceback is logged).
    """
    if not isolation_available():
        result = _call(func, args, kwargs)
        return _outcome(result, name, limits)
    deadline = time.monotonic() + limits.wall_s
    request = pickle.dumps((func, args, kwargs, limits), protocol=pickle.HIGHEST_PROTOCOL)
    use_zygote = threading.active_count() > 1 if zygote is None else zygote
    with _turn(limits, deadline, name):
        if use_zygote:
            return _run_in_zygote(request, deadline, name, limits, prepare)
        _prepare_here(prepare)
        return _run_forked(request, deadline, name, limits)
