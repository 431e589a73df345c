"""mlgrade.ready: kernels that are ready, and gone, as soon as they are.

Real kernels throughout. The client must be ready exactly when the kernel answers: not
before (a kernel that is stopped, or dies, is never "ready"), not only after a fixed wait,
and with nothing of its own questions left on IOPub for the notebook's first cell.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import sys
from queue import Empty

import pytest

from mlgrade.ready import PromptKernelManager, ReadyClient

ARGS = ["--HistoryManager.hist_file=:memory:"]


async def _leftovers(kc: ReadyClient) -> list[dict]:
    """IOPub messages still waiting (what a notebook's first cell would read first)."""
    left = []
    while True:
        try:
            left.append(await kc.iopub_channel.get_msg(timeout=0.3))
        except Empty:
            return left


async def _run(kc: ReadyClient, code: str) -> list[str]:
    """Execute ``code``; the text of its stream outputs, read as a notebook client does."""
    msg_id = kc.execute(code)
    texts = []
    while True:
        msg = await kc.iopub_channel.get_msg(timeout=30)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "stream":
            texts.append(msg["content"]["text"])
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return texts


@contextlib.asynccontextmanager
async def _ready_kernel():
    """A kernel of a :class:`PromptKernelManager` and its client, once ready; both are
    stopped on the way out."""
    km = PromptKernelManager(kernel_name="python3")
    await km.start_kernel(extra_arguments=ARGS)
    kc = km.client()
    kc.start_channels()
    try:
        await kc.wait_for_ready(timeout=60)
        yield km, kc
    finally:
        kc.stop_channels()
        await km.shutdown_kernel(now=True)


def test_manager_hands_out_ready_clients_and_they_wait_for_the_answer():
    async def go():
        async with _ready_kernel() as (km, kc):
            assert isinstance(kc, ReadyClient)
            # What is left on IOPub for the first cell is none of its business: no output,
            # no status of a request that has not been answered.
            for msg in await _leftovers(kc):
                assert msg["msg_type"] == "status", msg
                assert msg["parent_header"].get("msg_type") in (None, "kernel_info_request")
            assert await _run(kc, "print(6 * 7)") == ["42\n"]
        assert not await km.is_alive()

    asyncio.run(go())


def test_a_stopped_kernel_is_not_ready_until_it_answers():
    async def go():
        async with _ready_kernel() as (km, kc):
            os.kill(km.provisioner.pid, signal.SIGSTOP)
            with pytest.raises(RuntimeError, match="didn't respond"):
                await kc.wait_for_ready(timeout=1.5)
            os.kill(km.provisioner.pid, signal.SIGCONT)
            await kc.wait_for_ready(timeout=30)  # the answers to the earlier questions count
            assert await _run(kc, "print('back')") == ["back\n"]

    asyncio.run(go())


def test_a_kernel_that_dies_is_never_ready():
    async def go():
        async with _ready_kernel() as (km, kc):
            os.kill(km.provisioner.pid, signal.SIGKILL)
            with pytest.raises(RuntimeError, match="died"):
                await kc.wait_for_ready(timeout=30)

    asyncio.run(go())


def test_a_client_that_connects_before_the_kernel_listens(tmp_path):
    """The usual case made slow: the client asks before the kernel has bound its sockets
    (and subscribes to IOPub late); it is ready once the kernel is, and reads its output."""

    async def go():
        connection = tmp_path / "kernel.json"
        km = PromptKernelManager(kernel_name="python3", connection_file=str(connection))
        km.transport = "ipc"
        km.ip = str(tmp_path / "k")
        km.write_connection_file()
        kc = ReadyClient()
        kc.load_connection_file(str(connection))
        kc.start_channels(hb=False)
        kernel = None
        try:
            waiting = asyncio.create_task(kc.wait_for_ready(timeout=60))
            await asyncio.sleep(0.5)
            assert not waiting.done()
            kernel = subprocess.Popen(
                [sys.executable, "-m", "ipykernel_launcher", "-f", str(connection), *ARGS],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            await waiting
            assert await _run(kc, "print('late')") == ["late\n"]
        finally:
            kc.stop_channels()
            if kernel is not None:
                kernel.kill()
                kernel.wait()

    asyncio.run(go())
