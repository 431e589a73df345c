"""Kernels that are ready, and gone, as soon as they are: no fixed waits.

``jupyter_client``'s ``wait_for_ready`` asks for ``kernel_info``, waits for the reply on
the shell channel and for one message on IOPub, and then reads IOPub until it has been
silent for 0.2 s. That last wait is spent on every kernel: grading starts two per notebook
(the student's and the judge), so it cost a fifth of a second of every notebook, whatever
the kernel was doing. ZeroMQ added to it: a client connects the moment a kernel is
started, usually before the kernel has bound its sockets, and a socket that finds nobody
listening tries again only 100 ms later.

:class:`ReadyClient` asks the same question and stops at the answer: the kernel is ready
when one of its ``kernel_info`` requests has been answered on the shell channel *and* its
``idle`` status has arrived on IOPub. The second half proves that the IOPub subscription
is connected and that nothing the kernel published about that request is left to read. A
subscriber that connects late misses what was published before, so a kernel whose status
is not heard soon after its answer is asked again, and the status of any request asked
counts. Whatever may still come (the kernel's ``starting`` status, the answers to a
question asked twice) has a parent that is none of the notebook client's requests, and a
notebook client skips such messages. Its sockets try again 5 ms after finding nobody.

:class:`PromptKernelManager` (every kernel of grading: the student's, sandboxed or not,
and the judge) hands out such clients, and after killing a kernel looks every 5 ms
whether it has gone, where ``jupyter_client`` looks every 100 ms.
"""

from __future__ import annotations

import time
from queue import Empty

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import DottedObjectName, Type, default

__all__ = ["PromptKernelManager", "ReadyClient"]

_RECONNECT_MS = 5  # a socket that finds no kernel yet tries again this soon (zmq: 100 ms)
_GONE_POLL = 0.005  # seconds between two looks at a killed kernel
_ASK_EVERY = 1.0  # seconds before kernel_info is asked again
_HEAR_WITHIN = 0.1  # seconds for the idle status of an answered request to arrive


class ReadyClient(AsyncKernelClient):
    """``AsyncKernelClient`` whose :meth:`wait_for_ready` ends when the kernel answers."""

    @default("context")
    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True
        context = zmq.asyncio.Context()
        context.setsockopt(zmq.RECONNECT_IVL, _RECONNECT_MS)
        return context

    async def wait_for_ready(self, timeout: float | None = None) -> None:
        """Return once a ``kernel_info`` request is answered on shell and its ``idle``
        status heard on IOPub; raise ``RuntimeError`` if the kernel dies first or
        ``timeout`` seconds (None: no limit) pass."""
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        asked: set[str] = set()
        while True:
            asked.add(self.kernel_info())
            reply = await self._next(self.shell_channel, asked, "kernel_info_reply", deadline)
            if reply is not None:
                heard = min(deadline, time.monotonic() + _HEAR_WITHIN)
                if await self._next(self.iopub_channel, asked, "status", heard, "idle"):
                    self._handle_kernel_info_reply(reply)
                    return
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout} seconds")

    async def _next(self, channel, asked, msg_type, deadline, state=None) -> dict | None:
        """The next message on ``channel`` of ``msg_type`` (and execution ``state``)
        answering one of the requests ``asked``, waiting at most ``_ASK_EVERY`` seconds
        or until ``deadline``; None if none came."""
        until = min(deadline, time.monotonic() + _ASK_EVERY)
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await channel.get_msg(timeout=left)
            except Empty:
                return None
            if msg.get("parent_header", {}).get("msg_id") not in asked:
                continue
            if msg["msg_type"] != msg_type:
                continue
            if state is None or msg.get("content", {}).get("execution_state") == state:
                return msg
        return None


class PromptKernelManager(AsyncKernelManager):
    """``AsyncKernelManager`` with :class:`ReadyClient` clients and a prompt shutdown."""

    client_class = DottedObjectName("mlgrade.ready.ReadyClient")
    client_factory = Type(klass=ReadyClient)

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, _GONE_POLL))
