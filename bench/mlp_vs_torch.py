"""Benchmark: forward + backward of an MLP in mlcourse (NumPy) against PyTorch on the CPU.

The network: 64-128-128-10, ReLU, cross-entropy on the logits, a batch of 256, float32,
one thread for both. One training step without the update is timed: the forward pass,
the loss and its gradient, and the backward pass to every parameter gradient. Both
libraries run the same network with the same weights; their results are compared first.
On the mlcourse side ``MLP.forward`` and ``MLP.backward`` check their input as always,
and the loss is the body of ``cross_entropy_and_grad`` without its checks
(``unchecked``), with the targets made one-hot once: the checks of the targets are what a
training loop does once per data set, not per step. ``bench/train_vs_torch.py`` times
the whole loop, every check included.

Timing: the two (and a plain ``X @ W`` matrix product, the limit) are timed in the same
run, interleaved: each round times one step of each, one after the other, so that a
change in the machine's load hits all three alike. The medians over the rounds are
reported. Timing single steps (a few hundred microseconds) rather than long blocks keeps
the median clear of the moments when the operating system runs another process, which
matters on a shared machine.

    python bench/mlp_vs_torch.py [--rounds 3000]

Prints the ratio of the medians (mlcourse / torch; below 1 means mlcourse is faster) and
the GFLOP/s each reaches against the matmul's.

On machines that set ``OPENBLAS_CORETYPE`` (and ``OPENBLAS_L2_SIZE``), NumPy's OpenBLAS
runs an older, slower kernel. The script does not change them; it prints the kernel in
use. To measure against the best kernel, unset both for this command only:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python bench/mlp_vs_torch.py``.
"""

from __future__ import annotations

import os

# One thread, set before NumPy (and its BLAS) is loaded; threadpoolctl below makes sure.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402
from threadpoolctl import threadpool_info, threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from itertools import pairwise  # noqa: E402

from mlcourse._validation import unchecked  # noqa: E402
from mlcourse.losses import cross_entropy_and_grad  # noqa: E402
from mlcourse.mlp import MLP  # noqa: E402

LAYERS = [64, 128, 128, 10]
BATCH = 256


def step_flops(layer_sizes: list[int], batch: int) -> int:
    """Floating-point operations of the matrix products in one forward + backward step.

    Forward ``X W`` for every layer, backward ``H^T dZ`` (dW) for every layer and
    ``dZ W^T`` (dX) for every layer but the first (no gradient for the input), each
    multiply-add counted as 2 FLOPs. Elementwise work (bias, ReLU, softmax) is left out.
    """
    macs = [batch * d * m for d, m in pairwise(layer_sizes)]
    return 2 * (sum(macs) + sum(macs) + sum(macs[1:]))


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3000, help="interleaved timing rounds")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    threadpool_limits(limits=1)

    rng = np.random.default_rng(0)
    net = MLP(LAYERS, activation="relu", output="identity", rng=rng, dtype=np.float32)
    net.params = [(W, rng.normal(0, 0.1, size=b.shape).astype(np.float32)) for W, b in net.params]
    model = net.to_torch()
    X = rng.standard_normal((BATCH, LAYERS[0]), dtype=np.float32)
    y = rng.integers(0, LAYERS[-1], size=BATCH)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    Y = np.eye(LAYERS[-1], dtype=np.float32)[y]  # one-hot rows, made once
    loss_and_grad = unchecked(cross_entropy_and_grad)

    def mlcourse_step():
        logits = net.forward(X)
        loss, dlogits = loss_and_grad(logits, Y)
        return loss, net.backward(dlogits)

    def torch_step():
        model.zero_grad(set_to_none=True)
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        loss.backward()
        return loss

    # The matmul limit: a plain product of the hidden layer's size.
    A = rng.standard_normal((BATCH, 128), dtype=np.float32)
    B = rng.standard_normal((128, 128), dtype=np.float32)
    matmul_flops = 2 * BATCH * 128 * 128

    def matmul():
        return A @ B

    # Same numbers first: loss and gradients agree to float32 precision.
    loss, grads = mlcourse_step()
    loss_t = torch_step()
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    worst = 0.0
    for (dW, db), linear in zip(grads, linears, strict=True):
        for ours, theirs in ((dW, linear.weight.grad.numpy().T), (db, linear.bias.grad.numpy())):
            assert ours.dtype == np.float32
            scale = np.abs(theirs).max()
            worst = max(worst, float(np.abs(ours - theirs).max() / scale))
    assert abs(float(loss) - loss_t.item()) < 1e-5 * abs(loss_t.item()), (loss, loss_t)
    assert worst < 1e-4, worst

    for _ in range(50):  # warm up caches, allocators and BLAS buffers
        mlcourse_step()
        torch_step()
        matmul()

    contenders = {"mlcourse": mlcourse_step, "torch": torch_step, "matmul": matmul}
    times = {name: [] for name in contenders}
    clock = time.perf_counter_ns
    for _ in range(args.rounds):
        for name, fn in contenders.items():
            start = clock()
            fn()
            times[name].append(clock() - start)
    med = {name: statistics.median(values) / 1e9 for name, values in times.items()}

    flops = step_flops(LAYERS, BATCH)
    gflops = {
        "mlcourse": flops / med["mlcourse"] / 1e9,
        "torch": flops / med["torch"] / 1e9,
        "matmul": matmul_flops / med["matmul"] / 1e9,
    }
    ratio = med["mlcourse"] / med["torch"]

    blas = [
        f"{i['internal_api']} {i.get('version')} ({i.get('architecture', '?')})"
        for i in threadpool_info()
        if i["user_api"] == "blas"
    ]
    print(
        f"MLP {'-'.join(map(str, LAYERS))}, ReLU, cross-entropy, batch {BATCH}, float32, "
        f"1 thread; forward + backward"
    )
    print(
        f"numpy {np.__version__} [{blas[0] if blas else 'unknown BLAS'}], "
        f"torch {torch.__version__}"
    )
    for var in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        if var in os.environ:
            print(f"note: {var}={os.environ[var]} is set (NumPy's BLAS kernel is forced)")
    print(f"agreement: loss equal, gradients within {worst:.1e} (relative to their max)")
    print(f"{args.rounds} interleaved rounds, median time per step:")
    print(
        f"  mlcourse  {med['mlcourse'] * 1e6:8.1f} us  {gflops['mlcourse']:6.1f} GFLOP/s "
        f"({gflops['mlcourse'] / gflops['matmul']:.0%} of the matmul limit)"
    )
    print(
        f"  torch     {med['torch'] * 1e6:8.1f} us  {gflops['torch']:6.1f} GFLOP/s "
        f"({gflops['torch'] / gflops['matmul']:.0%} of the matmul limit)"
    )
    print(
        f"  matmul    {med['matmul'] * 1e6:8.1f} us  {gflops['matmul']:6.1f} GFLOP/s "
        f"(X @ W, {BATCH}x128 @ 128x128, the limit)"
    )
    print(f"ratio mlcourse / torch (medians): {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    main()
