"""An LSTM trained by backpropagation through time: chainrule against torch.nn.LSTM, one run.

Both train the same network from the same initial weights (our parameters carry
PyTorch's names and layout, so the state_dict is copied one to one): an LSTM with input
size 32 and hidden size 64 over sequences of 50 steps, batch 32, and a linear head on
every step's output, with a mean squared error and Adam (lr 1e-3), in float32 with one
thread (threadpoolctl for numpy's BLAS, torch.set_num_threads for PyTorch). The task: at
each step, the sum of the first input feature over the last five steps, a short memory.

The engines take turns round by round, the one going first alternating, so that a
change in the machine's load hits both alike; we report the median time of a training
step (forward, backward, optimizer) per round, the final losses (which agree: same
weights, same data), and the ratio of our median to PyTorch's, last in the JSON.

    python benchmarks/rnn.py                  # 20 rounds of 10 steps
    python benchmarks/rnn.py --json           # JSON object as the last line
    python benchmarks/rnn.py --profile        # where our time goes
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import platform
import pstats
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import autograd  # noqa: E402
import nn  # noqa: E402

STEPS, BATCH, INPUTS, HIDDEN, MEMORY = 50, 32, 32, 64, 5


def make_batches(count: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """`count` batches (x (T, N, INPUTS), y (T, N, 1)): y_t = Σ of x[:, 0] over 5 steps."""
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(count):
        x = rng.standard_normal((STEPS, BATCH, INPUTS)).astype(np.float32)
        running = np.cumsum(x[:, :, 0], axis=0)
        window = running - np.concatenate([np.zeros((MEMORY, BATCH)), running[:-MEMORY]])
        batches.append((x, (window / np.sqrt(MEMORY))[:, :, None].astype(np.float32)))
    return batches


class Ours:
    def __init__(self, seed: int, lr: float) -> None:
        self.lstm = nn.LSTM(INPUTS, HIDDEN, seed=seed)
        self.head = nn.Linear(HIDDEN, 1, seed=seed)
        self.optimizer = nn.Adam(self.lstm.parameters() + self.head.parameters(), lr=lr)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        outputs, _ = self.lstm(autograd.Tensor(x))
        loss = nn.mse_loss(self.head(outputs.reshape(-1, HIDDEN)), y.reshape(-1, 1))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


class Theirs:
    def __init__(self, torch: Any, ours: Ours, lr: float) -> None:
        self.torch = torch
        self.lstm = torch.nn.LSTM(INPUTS, HIDDEN)
        self.head = torch.nn.Linear(HIDDEN, 1)
        for model, source in ((self.lstm, ours.lstm), (self.head, ours.head)):
            model.load_state_dict({k: torch.from_numpy(v.copy())
                                   for k, v in source.state_dict().items()})
        self.optimizer = torch.optim.Adam(list(self.lstm.parameters())
                                          + list(self.head.parameters()), lr=lr)

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        outputs, _ = self.lstm(self.torch.from_numpy(x))
        loss = self.torch.nn.functional.mse_loss(self.head(outputs.reshape(-1, HIDDEN)),
                                                 self.torch.from_numpy(y.reshape(-1, 1)))
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss.item()


def timed_round(engine: Any, batches: list[tuple[np.ndarray, np.ndarray]]
                ) -> tuple[float, float]:
    """(median seconds per training step, last loss) over `batches`."""
    times, loss = [], float("nan")
    for x, y in batches:
        start = time.perf_counter()
        loss = engine.step(x, y)
        times.append(time.perf_counter() - start)
    return float(np.median(times)), loss


def profile_ours(args: argparse.Namespace) -> None:
    ours = Ours(args.seed, args.lr)
    batches = make_batches(args.steps_per_round, args.seed)
    timed_round(ours, batches)  # warm up
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(args.rounds):
        timed_round(ours, batches)
    profiler.disable()
    text = io.StringIO()
    pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(18)
    print("\n".join(line for line in text.getvalue().splitlines()[4:] if line.strip()))


def compare(args: argparse.Namespace) -> dict[str, Any]:
    import torch

    torch.set_num_threads(1)
    ours = Ours(args.seed, args.lr)
    engines = {"chainrule": ours, "torch": Theirs(torch, ours, args.lr)}
    batches = make_batches(args.steps_per_round, args.seed)
    for engine in engines.values():  # warm up: first calls allocate and load code
        timed_round(engine, batches[:3])
    medians: dict[str, list[float]] = {name: [] for name in engines}
    losses: dict[str, float] = {}
    for round_ in range(args.rounds):
        for name in (list(engines) if round_ % 2 else list(engines)[::-1]):
            median, losses[name] = timed_round(engines[name], batches)
            medians[name].append(median)
    ours_ms = 1e3 * float(np.median(medians["chainrule"]))
    torch_ms = 1e3 * float(np.median(medians["torch"]))
    print(f"median ms per training step: chainrule {ours_ms:.2f}, torch {torch_ms:.2f}, "
          f"ratio {ours_ms / torch_ms:.2f}")
    print(f"last loss: chainrule {losses['chainrule']:.5f}, torch {losses['torch']:.5f}")
    return {"ms_per_step": ours_ms, "torch_ms_per_step": torch_ms,
            "round_ms": [1e3 * t for t in medians["chainrule"]],
            "torch_round_ms": [1e3 * t for t in medians["torch"]],
            "loss": losses["chainrule"], "torch_loss": losses["torch"],
            "torch_version": torch.__version__}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--steps-per-round", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--profile", action="store_true",
                        help="profile chainrule's training steps instead of the comparison")
    parser.add_argument("--json", action="store_true", help="print a JSON summary last")
    args = parser.parse_args()

    from threadpoolctl import threadpool_limits

    autograd.keep_freed_memory()  # as training does (nn.fit, the chainrule command)
    print(f"LSTM {INPUTS} -> {HIDDEN}, {STEPS} steps, batch {BATCH}, linear head, MSE, "
          f"Adam lr {args.lr}, float32, 1 thread; {args.rounds} rounds of "
          f"{args.steps_per_round} steps")
    with threadpool_limits(1):
        if args.profile:
            profile_ours(args)
            return
        results = compare(args)
    results.update(rounds=args.rounds, steps_per_round=args.steps_per_round,
                   python=platform.python_version(), numpy=np.__version__)
    results["ratio_vs_torch"] = results["ms_per_step"] / results["torch_ms_per_step"]
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
