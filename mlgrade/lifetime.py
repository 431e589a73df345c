"""Processes that die with the process that started them (Linux ``PR_SET_PDEATHSIG``).

A grading run starts workers, each worker starts sandboxes and judge kernels; when the
driver is killed (even by ``SIGKILL``, which it cannot handle) everything below it must go
too. The kernel does that for a process that asked it to: it sends the process ``SIGKILL``
when its parent dies. The request only counts from the moment it is made, though, and a
parent can die between starting the child and the child's request (bubblewrap makes the
request itself, but only after it has parsed its arguments); such a child would run on,
orphaned, for ever. :func:`die_with` closes that window: it is called in the child, with
the process id the parent had, and a child whose parent is already gone ends at once.

Use it as ``preexec_fn=die_with(os.getpid())`` (it runs in the child between fork and exec,
and the request survives the exec), or in a forked child with the parent's id taken before
the fork.
"""

from __future__ import annotations

import ctypes
import os
import signal
from collections.abc import Callable

__all__ = ["die_with", "request_death_signal"]

_PR_SET_PDEATHSIG = 1
_LIBC = ctypes.CDLL(None, use_errno=True)


def request_death_signal() -> None:
    """Ask the kernel to send this process ``SIGKILL`` when its parent dies."""
    if _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"prctl(PR_SET_PDEATHSIG): {os.strerror(errno)}")


def die_with(parent: int, then: Callable[[], None] | None = None) -> Callable[[], None]:
    """A function for the child: die with ``parent`` (a process id), then call ``then``.

    If ``parent`` has already died when the child asks, the child has been handed to
    another process (init or a subreaper) and the kernel would never signal it: it ends
    itself instead.
    """

    def in_child() -> None:
        request_death_signal()
        if os.getppid() != parent:
            os._exit(1)
        if then is not None:
            then()

    return in_child
