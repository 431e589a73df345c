"""Typical mistakes in assignment a7_pytorch (used by the simulated class and the catalogue).

WRONG maps a solution cell's grade_id to (replacement source of that cell, the test cells
that must then score 0); every other test cell must keep full marks.

MISTAKES is the catalogue of typical mistakes: for each, the answer cell, what the mistake
is, whether a public test must catch it, the test cells that must score 0 when it is made
(every other test cell keeps its points), and the mistaken source of the cell.
"""

_STRUCTURE = "a7_module_test_structure"
_FORWARD = "a7_module_test_forward"
_REGRESSION = "a7_head_test_regression"
_REGRESSION_K = "a7_head_test_regression_k"
_BINARY = "a7_head_test_binary"
_MULTICLASS = "a7_head_test_multiclass"
_FULL = "a7_train_test_full_batch"
_MINI = "a7_train_test_minibatch"


def _module(init="", forward="return self.output(torch.tanh(self.hidden(X)))", base="nn.Module"):
    init = init or (
        "super().__init__()\n"
        "self.hidden = nn.Linear(n_in, n_hidden)\n"
        "self.output = nn.Linear(n_hidden, n_out)"
    )
    indent = "\n        "
    return (
        f"class TwoLayerNet({base}):\n"
        "    def __init__(self, n_in, n_hidden, n_out):\n"
        f"        {indent.join(init.splitlines())}\n\n"
        "    def forward(self, X):\n"
        f"        {indent.join(forward.splitlines())}\n"
    )


_HEAD = {
    "regression": "nn.Linear(n_hidden, 1), nn.MSELoss()",
    "regression with k outputs": "nn.Linear(n_hidden, k), nn.MSELoss()",
    "binary classification": "nn.Linear(n_hidden, 1), nn.BCEWithLogitsLoss()",
    "multi-class classification": "nn.Linear(n_hidden, k), nn.CrossEntropyLoss()",
}


def _head(**changes):
    """make_head with the return value of some tasks changed (keys: the tasks)."""
    lines = ["def make_head(task, n_hidden, k):"]
    for task, value in _HEAD.items():
        lines += [f"    if task == {task!r}:", f"        return {changes.get(task, value)}"]
    lines.append('    raise ValueError(f"unknown task {task!r}")')
    return "\n".join(lines) + "\n"


_TRAIN = {
    "model": "model = nn.Sequential(nn.Linear(*W1.shape), nn.Tanh(), nn.Linear(*W2.shape))",
    "load": (
        "with torch.no_grad():\n"
        "    model[0].weight.copy_(torch.tensor(W1.T))\n"
        "    model[0].bias.copy_(torch.tensor(b1))\n"
        "    model[2].weight.copy_(torch.tensor(W2.T))\n"
        "    model[2].bias.copy_(torch.tensor(b2))"
    ),
    "optimizer": "optimizer = torch.optim.SGD(model.parameters(), lr=lr)",
    "loss_fn": "loss_fn = nn.CrossEntropyLoss()",
    "data": "Xt, yt = torch.tensor(X), torch.tensor(y, dtype=torch.long)",
    "rng": "rng = None if seed is None else np.random.default_rng(seed)",
    "order": "order = np.arange(N) if rng is None else rng.permutation(N)",
    "batch": "idx = torch.tensor(order[start : start + B])\nXb, yb = Xt[idx], yt[idx]",
    "step": (
        "optimizer.zero_grad()\nloss = loss_fn(model(Xb), yb)\nloss.backward()\noptimizer.step()"
    ),
    "record": "total += loss.item() * len(idx)",
    "epoch_loss": "losses.append(total / N)",
    "trained": (
        "trained = [\n"
        "    model[0].weight.detach().numpy().T.copy(),\n"
        "    model[0].bias.detach().numpy().copy(),\n"
        "    model[2].weight.detach().numpy().T.copy(),\n"
        "    model[2].bias.detach().numpy().copy(),\n"
        "]"
    ),
}


def _indent(text, spaces):
    return "\n".join(" " * spaces + line if line else line for line in text.splitlines())


def _train(**changes):
    """sgd_train with some of its steps (keys of _TRAIN) replaced."""
    p = {**_TRAIN, **changes}
    body = "\n".join(
        [
            "W1, b1, W2, b2 = params",
            p["model"],
            p["load"],
            p["optimizer"],
            p["loss_fn"],
            p["data"],
            "N = len(X)",
            "B = N if batch_size is None else batch_size",
            p["rng"],
            "losses = []",
            "for epoch in range(epochs):",
            _indent(p["order"], 4),
            "    total = 0.0",
            "    for start in range(0, N, B):",
            _indent(p["batch"], 8),
            _indent(p["step"], 8),
            _indent(p["record"], 8),
            _indent(p["epoch_loss"], 4),
            p["trained"],
            "return losses, trained",
        ]
    )
    return (
        "def sgd_train(X, y, params, lr, epochs, batch_size=None, seed=None):\n"
        + _indent(body, 4)
        + "\n"
    )


_BOTH = [_FULL, _MINI]
_MODULE_BOTH = [_STRUCTURE, _FORWARD]

MISTAKES = [
    # ---------------------------------------------------------------- Part 1: the module
    {
        "cell": "a7_module",
        "mistake": "super().__init__() not called before the layers are assigned",
        "public": True,
        "tests": _MODULE_BOTH,
        "source": _module(
            init="self.hidden = nn.Linear(n_in, n_hidden)\n"
            "self.output = nn.Linear(n_hidden, n_out)"
        ),
    },
    {
        "cell": "a7_module",
        "mistake": "the layers made without biases (bias=False)",
        "public": True,
        "tests": _MODULE_BOTH,
        "source": _module(
            init="super().__init__()\n"
            "self.hidden = nn.Linear(n_in, n_hidden, bias=False)\n"
            "self.output = nn.Linear(n_hidden, n_out, bias=False)"
        ),
    },
    {
        "cell": "a7_module",
        "mistake": "nn.Linear(out, in): the sizes of a layer swapped",
        "public": True,
        "tests": _MODULE_BOTH,
        "source": _module(
            init="super().__init__()\n"
            "self.hidden = nn.Linear(n_hidden, n_in)\n"
            "self.output = nn.Linear(n_out, n_hidden)",
            forward="return self.output(torch.tanh(self.hidden(X)))",
        ),
    },
    {
        "cell": "a7_module",
        "mistake": "the layers under other names than hidden and output",
        "public": True,
        "tests": _MODULE_BOTH,
        "source": _module(
            init="super().__init__()\n"
            "self.fc1 = nn.Linear(n_in, n_hidden)\n"
            "self.fc2 = nn.Linear(n_hidden, n_out)",
            forward="return self.fc2(torch.tanh(self.fc1(X)))",
        ),
    },
    {
        "cell": "a7_module",
        "mistake": "a plain class, not derived from nn.Module",
        "public": True,
        "tests": _MODULE_BOTH,
        "source": _module(
            base="object",
            init="self.hidden = nn.Linear(n_in, n_hidden)\n"
            "self.output = nn.Linear(n_hidden, n_out)",
        ).replace("    def forward(self, X):", "    def __call__(self, X):"),
    },
    {
        "cell": "a7_module",
        "mistake": "ReLU instead of tanh in the hidden layer",
        "public": True,
        "tests": [_FORWARD],
        "source": _module(forward="return self.output(torch.relu(self.hidden(X)))"),
    },
    {
        "cell": "a7_module",
        "mistake": "no activation: two linear layers in a row",
        "public": True,
        "tests": [_FORWARD],
        "source": _module(forward="return self.output(self.hidden(X))"),
    },
    {
        "cell": "a7_module",
        "mistake": "a softmax at the end: probabilities instead of logits",
        "public": True,
        "tests": [_FORWARD],
        "source": _module(
            forward="return torch.softmax(self.output(torch.tanh(self.hidden(X))), dim=1)"
        ),
    },
    {
        "cell": "a7_module",
        "mistake": "the activation computed in NumPy: autograd cannot follow",
        "public": True,
        "tests": [_FORWARD],
        "source": _module(
            forward="H = np.tanh(self.hidden(X).detach().numpy())\n"
            "return self.output(torch.tensor(H)).detach()"
        ),
    },
    # ---------------------------------------------------------------- Part 2: the heads
    {
        "cell": "a7_head",
        "mistake": "binary: nn.BCELoss on the logits (no sigmoid)",
        "public": True,
        "tests": [_BINARY],
        "source": _head(**{"binary classification": "nn.Linear(n_hidden, 1), nn.BCELoss()"}),
    },
    {
        "cell": "a7_head",
        "mistake": "binary: a sigmoid layer and nn.BCEWithLogitsLoss (the sigmoid twice)",
        "public": True,
        "tests": [_BINARY],
        "source": _head(
            **{
                "binary classification": (
                    "nn.Sequential(nn.Linear(n_hidden, 1), nn.Sigmoid()), nn.BCEWithLogitsLoss()"
                )
            }
        ),
    },
    {
        "cell": "a7_head",
        "mistake": "binary: two outputs and nn.CrossEntropyLoss",
        "public": True,
        "tests": [_BINARY],
        "source": _head(
            **{"binary classification": "nn.Linear(n_hidden, 2), nn.CrossEntropyLoss()"}
        ),
    },
    {
        "cell": "a7_head",
        "mistake": "multi-class: nn.Softmax before nn.CrossEntropyLoss (softmax twice)",
        "public": True,
        "tests": [_MULTICLASS],
        "source": _head(
            **{
                "multi-class classification": (
                    "nn.Sequential(nn.Linear(n_hidden, k), nn.Softmax(dim=1)), "
                    "nn.CrossEntropyLoss()"
                )
            }
        ),
    },
    {
        "cell": "a7_head",
        "mistake": "multi-class: nn.NLLLoss on logits (no log-softmax)",
        "public": True,
        "tests": [_MULTICLASS],
        "source": _head(**{"multi-class classification": "nn.Linear(n_hidden, k), nn.NLLLoss()"}),
    },
    {
        "cell": "a7_head",
        "mistake": "regression with k outputs: a single output unit",
        "public": True,
        "tests": [_REGRESSION_K],
        "source": _head(**{"regression with k outputs": "nn.Linear(n_hidden, 1), nn.MSELoss()"}),
    },
    {
        "cell": "a7_head",
        "mistake": "regression: the squared errors summed, not averaged",
        "public": True,
        "tests": [_REGRESSION],
        "source": _head(**{"regression": "nn.Linear(n_hidden, 1), nn.MSELoss(reduction='sum')"}),
    },
    {
        "cell": "a7_head",
        "mistake": "regression: the mean absolute error (nn.L1Loss)",
        "public": True,
        "tests": [_REGRESSION],
        "source": _head(**{"regression": "nn.Linear(n_hidden, 1), nn.L1Loss()"}),
    },
    {
        "cell": "a7_head",
        "mistake": "regression: a ReLU on the output",
        "public": True,
        "tests": [_REGRESSION],
        "source": _head(
            **{"regression": "nn.Sequential(nn.Linear(n_hidden, 1), nn.ReLU()), nn.MSELoss()"}
        ),
    },
    # ---------------------------------------------------------------- Part 3: training
    {
        "cell": "a7_train",
        "mistake": "optimizer.zero_grad() forgotten: the gradients accumulate",
        "public": True,
        "tests": _BOTH,
        "source": _train(step="loss = loss_fn(model(Xb), yb)\nloss.backward()\noptimizer.step()"),
    },
    {
        "cell": "a7_train",
        "mistake": "the weights reshaped instead of transposed for nn.Linear",
        "public": True,
        "tests": _BOTH,
        "source": _train(
            load="with torch.no_grad():\n"
            "    model[0].weight.copy_(torch.tensor(W1).reshape(W1.shape[::-1]))\n"
            "    model[0].bias.copy_(torch.tensor(b1))\n"
            "    model[2].weight.copy_(torch.tensor(W2).reshape(W2.shape[::-1]))\n"
            "    model[2].bias.copy_(torch.tensor(b2))",
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "the trained weights returned in nn.Linear's layout (K, D)",
        "public": True,
        "tests": _BOTH,
        "source": _train(
            trained="trained = [\n"
            "    model[0].weight.detach().numpy().copy(),\n"
            "    model[0].bias.detach().numpy().copy(),\n"
            "    model[2].weight.detach().numpy().copy(),\n"
            "    model[2].bias.detach().numpy().copy(),\n"
            "]"
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "float32 tensors and layers",
        "public": True,
        "tests": _BOTH,
        "source": _train(
            model="model = nn.Sequential(nn.Linear(*W1.shape), nn.Tanh(), "
            "nn.Linear(*W2.shape)).float()",
            data="Xt = torch.tensor(X, dtype=torch.float32)\n"
            "yt = torch.tensor(y, dtype=torch.long)",
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "the loss recorded after the step, not before",
        "public": True,
        "tests": _BOTH,
        "source": _train(
            record="with torch.no_grad():\n    total += loss_fn(model(Xb), yb).item() * len(idx)"
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "the network rebuilt from the starting weights in every epoch",
        "public": True,
        "tests": _BOTH,
        "source": _train(
            order="order = np.arange(N) if rng is None else rng.permutation(N)\n"
            "with torch.no_grad():\n"
            "    model[0].weight.copy_(torch.tensor(W1.T))\n"
            "    model[0].bias.copy_(torch.tensor(b1))\n"
            "    model[2].weight.copy_(torch.tensor(W2.T))\n"
            "    model[2].bias.copy_(torch.tensor(b2))"
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "nn.MSELoss on one-hot targets instead of nn.CrossEntropyLoss",
        "public": True,
        "tests": _BOTH,
        "source": _train(
            loss_fn="mse = nn.MSELoss()\n"
            "def loss_fn(Z, labels):\n"
            "    return mse(Z, nn.functional.one_hot(labels, Z.shape[1]).double())"
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "the update written by hand instead of torch.optim.SGD",
        "public": True,
        "tests": _BOTH,
        "source": _train(
            optimizer="",
            step="model.zero_grad()\n"
            "loss = loss_fn(model(Xb), yb)\n"
            "loss.backward()\n"
            "with torch.no_grad():\n"
            "    for p in model.parameters():\n"
            "        p -= lr * p.grad",
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "mlcourse's train called instead of a PyTorch loop",
        "public": True,
        "tests": _BOTH,
        "source": (
            "def sgd_train(X, y, params, lr, epochs, batch_size=None, seed=None):\n"
            "    torch.optim.SGD\n"
            "    return mlcourse_run(X, y, params, lr, epochs, batch_size, seed)\n"
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "a new generator in every epoch: the same order each epoch",
        "public": True,
        "tests": [_MINI],
        "source": _train(
            rng="",
            order="rng = None if seed is None else np.random.default_rng(seed)\n"
            "order = np.arange(N) if rng is None else rng.permutation(N)",
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "the data shuffled cumulatively (X = X[order] every epoch)",
        "public": True,
        "tests": [_MINI],
        "source": _train(
            order="order = np.arange(N) if rng is None else rng.permutation(N)\n"
            "Xt, yt = Xt[torch.tensor(order)], yt[torch.tensor(order)]",
            batch="idx = torch.arange(start, min(start + B, N))\nXb, yb = Xt[idx], yt[idx]",
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "torch.randperm instead of the NumPy permutation",
        "public": True,
        "tests": [_MINI],
        "source": _train(
            rng="gen = None if seed is None else torch.Generator().manual_seed(seed)",
            order="order = np.arange(N) if gen is None else "
            "torch.randperm(N, generator=gen).numpy()",
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "the epoch loss as the plain mean over batches (unequal batch sizes)",
        "public": True,
        "tests": [_MINI],
        "source": _train(
            record="total += loss.item()",
            epoch_loss="losses.append(total / len(range(0, N, B)))",
        ),
    },
    {
        "cell": "a7_train",
        "mistake": "the loss of the last batch recorded as the epoch's loss",
        "public": True,
        "tests": [_MINI],
        "source": _train(record="total = loss.item()", epoch_loss="losses.append(total)"),
    },
]


def _case(mistake):
    return next(m["source"] for m in MISTAKES if m["mistake"] == mistake)


WRONG = {
    # ReLU instead of tanh: the structure is right, the logits are not
    "a7_module": (_case("ReLU instead of tanh in the hidden layer"), [_FORWARD]),
    # BCELoss on logits and a softmax before CrossEntropyLoss: both classification heads wrong
    "a7_head": (
        _head(
            **{
                "binary classification": "nn.Linear(n_hidden, 1), nn.BCELoss()",
                "multi-class classification": (
                    "nn.Sequential(nn.Linear(n_hidden, k), nn.Softmax(dim=1)), "
                    "nn.CrossEntropyLoss()"
                ),
            }
        ),
        [_BINARY, _MULTICLASS],
    ),
    # a new generator in every epoch: full batches are right, shuffled mini-batches are not
    "a7_train": (_case("a new generator in every epoch: the same order each epoch"), [_MINI]),
}
