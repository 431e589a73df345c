"""mlgrade.zygote: judge kernels forked from a warmed-up process, each one fresh."""

from __future__ import annotations

import os
import time
import uuid

import pytest
from jupyter_client.manager import KernelManager

from mlgrade.zygote import ForkProvisioner, Zygote, _alive


def _forked_kernel(preload=()) -> tuple[KernelManager, object]:
    km = KernelManager(kernel_name="python3")
    km.kernel_id = str(uuid.uuid4())
    provisioner = ForkProvisioner(kernel_id=km.kernel_id, kernel_spec=km.kernel_spec, parent=km)
    provisioner.preload = tuple(preload)
    km.provisioner = provisioner
    km.start_kernel(extra_arguments=["--HistoryManager.hist_file=:memory:"])
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    return km, kc


def _value(kc, expression: str):
    """The repr of ``expression`` evaluated in the kernel."""
    seen: list[dict] = []
    reply = kc.execute_interactive(
        f"print(repr({expression}))", timeout=30, output_hook=seen.append
    )
    assert reply["content"]["status"] == "ok", reply["content"]
    return "".join(m["content"].get("text", "") for m in seen if m["msg_type"] == "stream").strip()


@pytest.fixture
def kernels():
    started = []

    def start(preload=()):
        km, kc = _forked_kernel(preload)
        started.append((km, kc))
        return km, kc

    yield start
    for km, kc in started:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_a_judge_kernel_is_a_fork_of_the_zygote_with_the_imports_done(kernels):
    _, kc = kernels()
    zygote = Zygote.shared().proc.pid
    assert int(_value(kc, "__import__('os').getppid()")) == zygote
    # imported by the zygote, before this kernel ran any code
    assert _value(kc, "'numpy' in __import__('sys').modules") == "True"
    assert _value(kc, "'mlgrade.checks' in __import__('sys').modules") == "True"
    assert _value(kc, "__import__('os').environ['MPLBACKEND']") == "'Agg'"
    assert _value(kc, "__import__('os').environ['OMP_NUM_THREADS']") == "'1'"
    assert _value(kc, "1 + 1") == "2"


def test_a_judge_kernel_starts_no_debugger(kernels):
    _, kc = kernels()
    assert _value(kc, "__import__('sys').modules['debugpy']") == "None"
    assert _value(kc, "getattr(get_ipython().kernel, 'debugger', None)") == "None"
    assert _value(kc, "'pydevd' in __import__('sys').modules") == "False"


def test_a_connected_judge_keeps_only_the_short_traceback_in_its_history(kernels):
    """IPython formats a stored cell's exception a second time for its history; in a judge
    that is the short form too (the verbose one reads every frame's source: slow, and a
    hidden test's source must reach no output)."""
    from jupyter_client.manager import KernelManager

    student = KernelManager(kernel_name="python3")
    student.start_kernel()
    try:
        _, kc = kernels()
        connect = f"import mlgrade.judge as j; j.connect({student.connection_file!r}, 30.0)"
        assert kc.execute_interactive(connect, timeout=30)["content"]["status"] == "ok"
        failing = "def secret():\n    raise ValueError('bad')\nsecret()"
        assert kc.execute_interactive(failing, timeout=30)["content"]["status"] == "error"
        kept = _value(
            kc,
            "get_ipython().history_manager.exceptions[max(get_ipython().history_manager.exceptions)]",
        )
        assert "ValueError: bad" in kept and "raised in" in kept, kept
        assert "def secret" not in kept and "raise ValueError" not in kept, kept
    finally:
        student.shutdown_kernel(now=True)


def test_the_notebook_imports_are_preloaded_only_from_the_known_packages(kernels):
    _, kc = kernels(preload=["sympy", "xml.dom.minidom"])
    assert _value(kc, "'sympy' in __import__('sys').modules") == "True"
    assert _value(kc, "'xml.dom.minidom' in __import__('sys').modules") == "False"


def test_each_fork_starts_fresh_and_dies_with_its_shutdown(kernels):
    km1, kc1 = kernels()
    kc1.execute_interactive("import builtins; builtins.LEFT_BEHIND = 1; X = 2", timeout=30)
    _, kc2 = kernels()
    assert _value(kc2, "hasattr(__import__('builtins'), 'LEFT_BEHIND')") == "False"
    assert _value(kc2, "'X' in globals()") == "False"
    pid = km1.provisioner.pid
    assert _alive(pid)
    km1.shutdown_kernel(now=True)
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(pid), "the forked kernel survived its shutdown"
    assert _value(kc2, "2 * 21") == "42"  # the other fork is untouched


def test_a_dead_zygote_is_replaced():
    first = Zygote.shared()
    first.proc.kill()
    first.proc.wait()
    second = Zygote.shared()
    assert second is not first and second.proc.poll() is None
    assert os.path.exists(f"/proc/{second.proc.pid}")
