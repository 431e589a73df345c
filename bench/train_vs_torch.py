"""Benchmark: one epoch of ``mlcourse.optim.train`` on the digits against the same loop in PyTorch.

The data: scikit-learn's bundled 8x8 digits (1797 images, 64 pixels scaled to [0, 1], 10
classes). The network: 64-128-128-10, ReLU, logits out, float32, one thread for both.
One epoch of mini-batch SGD (batch 32, learning rate 0.1, the rows shuffled by the same
permutation): for every batch the forward pass, the cross-entropy and its gradient, the
backward pass and the parameter update. On the mlcourse side that is one call of
``train(net, X, y, epochs=1)``, checks included; on the PyTorch side the usual loop of
``zero_grad``, ``cross_entropy``, ``backward`` and ``SGD.step``.

Both start every round from the same weights, and the first round checks that they end
the epoch with the same weights and the same mean loss (to float32 precision). Then the
rounds alternate, one epoch of each, so that a change in the machine's load hits both
alike; the medians over the rounds are reported.

    python bench/train_vs_torch.py [--rounds 30]

Prints the ratio of the medians (mlcourse / torch; below 1 means mlcourse is faster).
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
from threadpoolctl import threadpool_limits  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from mlcourse.datasets import digits  # noqa: E402
from mlcourse.mlp import MLP  # noqa: E402
from mlcourse.optim import train  # noqa: E402

LAYERS = [64, 128, 128, 10]
BATCH = 32
LR = 0.1
SEED = 0


def main(argv=None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=30, help="interleaved epochs of each")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(1)
    threadpool_limits(limits=1)

    X, y = digits()
    X = (X / 16.0).astype(np.float32)
    net = MLP(LAYERS, activation="relu", output="identity", rng=SEED, dtype=np.float32)
    initial = [(W.copy(), b.copy()) for W, b in net.params]
    model = net.to_torch()
    initial_state = {k: v.clone() for k, v in model.state_dict().items()}
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    sgd = torch.optim.SGD(model.parameters(), lr=LR)

    def mlcourse_epoch():
        net.params = [(W.copy(), b.copy()) for W, b in initial]
        return train(net, X, y, "cross_entropy", lr=LR, epochs=1, batch_size=BATCH, rng=SEED)

    def torch_epoch():
        model.load_state_dict(initial_state)
        # the permutation that train() draws from the same seed for its first epoch
        order = torch.from_numpy(np.random.default_rng(SEED).permutation(len(X)))
        total = 0.0
        for start in range(0, len(X), BATCH):
            idx = order[start : start + BATCH]
            sgd.zero_grad(set_to_none=True)
            loss = torch.nn.functional.cross_entropy(model(Xt[idx]), yt[idx])
            loss.backward()
            sgd.step()
            total += loss.item() * len(idx)
        return total / len(X)

    # Same computation first: the epoch's mean loss and the final weights agree.
    ours = mlcourse_epoch()["loss"][0]
    theirs = torch_epoch()
    assert abs(ours - theirs) < 1e-4 * abs(theirs), (ours, theirs)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    worst = 0.0
    for (W, b), linear in zip(net.params, linears, strict=True):
        for mine, other in ((W, linear.weight.detach().numpy().T), (b, linear.bias.detach())):
            other = np.asarray(other)
            worst = max(worst, float(np.abs(mine - other).max() / np.abs(other).max()))
    assert worst < 1e-4, worst

    times = {"mlcourse": [], "torch": []}
    clock = time.perf_counter_ns
    for _ in range(args.rounds):
        for name, epoch in (("mlcourse", mlcourse_epoch), ("torch", torch_epoch)):
            start = clock()
            epoch()
            times[name].append(clock() - start)
    med = {name: statistics.median(values) / 1e9 for name, values in times.items()}
    ratio = med["mlcourse"] / med["torch"]

    n_batches = -(-len(X) // BATCH)
    print(
        f"one epoch of SGD on the digits ({len(X)} images, {n_batches} batches of {BATCH}), "
        f"MLP {'-'.join(map(str, LAYERS))}, ReLU, cross-entropy, float32, 1 thread"
    )
    print(f"numpy {np.__version__}, torch {torch.__version__}")
    print(
        f"agreement: mean loss {ours:.6f} against {theirs:.6f}, final weights within "
        f"{worst:.1e} (relative to their max)"
    )
    print(f"{args.rounds} interleaved rounds, median time per epoch:")
    print(f"  mlcourse.optim.train  {med['mlcourse'] * 1e3:7.2f} ms")
    print(f"  torch loop            {med['torch'] * 1e3:7.2f} ms")
    print(f"ratio mlcourse / torch (medians): {ratio:.2f}")
    return ratio


if __name__ == "__main__":
    main()
