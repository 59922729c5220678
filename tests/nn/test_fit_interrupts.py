"""nn.fit interrupted anywhere: the history stays whole and the model keeps its best epoch."""

import inspect
import sys

import numpy as np
import pytest
from interrupts import interrupting_evaluate

import nn
import nn.train


def problem(seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(64, 3)).astype(np.float32)
    y = (x @ np.array([1.0, -2.0, 0.5]) > 0).astype(np.int64)
    model = nn.Sequential(nn.Linear(3, 2, seed=seed))
    loaders = (nn.DataLoader(x, y, batch_size=16, shuffle=True, seed=seed),
               nn.DataLoader(x[:32], y[:32], batch_size=16))
    return model, nn.SGD(model.parameters(), lr=0.1), loaders


def check_whole(history, model, best_weights):
    """Every column has one entry per recorded epoch; the model holds the best one's weights."""
    lengths = {c: len(getattr(history, c)) for c in history._COLUMNS}
    assert len(set(lengths.values())) == 1, lengths
    assert history.to_csv().count("\n") == len(history) + 1
    if len(history) == 0:
        assert history.best_epoch is None
        return
    assert history.best_epoch is not None and history.best_epoch < len(history)
    assert np.array_equal(model.state_dict()["0.weight"], best_weights[history.best_epoch])



@pytest.mark.parametrize("epoch", [1, 2])
def test_ctrl_c_during_validation_drops_the_unfinished_epoch(monkeypatch, epoch):
    model, optimizer, (train, val) = problem()
    monkeypatch.setattr(nn.train, "evaluate", interrupting_evaluate(epoch))
    weights = []
    history = nn.fit(model, nn.cross_entropy, optimizer, train, val, epochs=5, progress=False,
                     on_epoch=lambda e, h: weights.append(model.state_dict()["0.weight"]))
    assert history.interrupted and len(history) == epoch - 1
    check_whole(history, model, weights)


def fit_lines():
    """The lines of fit's epoch loop that run in the second epoch of `problem`'s training,
    found by one traced run: where a Ctrl-C may land.

    Not a bare `try:` or `finally:`: CPython 3.11 runs an exception raised by a tracer there
    outside the enclosing try, where no signal could raise it."""
    lines, first = inspect.getsourcelines(nn.fit)
    start = next(i for i, text in enumerate(lines) if "for epoch in range" in text)
    end = next(i for i, text in enumerate(lines) if "except KeyboardInterrupt" in text)
    candidates = [first + i for i in range(start, end) if lines[i].strip()
                  and not lines[i].strip().startswith("#")
                  and lines[i].strip() not in ("try:", "finally:")]
    ran = set()

    def tracer(frame, event, arg):
        if frame.f_code is not nn.fit.__code__:
            return None

        def on_line(frame, event, arg):
            if event == "line" and frame.f_locals.get("epoch") == 1:
                ran.add(frame.f_lineno)
            return on_line
        return on_line

    model, optimizer, (train, val) = problem()
    sys.settrace(tracer)
    try:
        nn.fit(model, nn.cross_entropy, optimizer, train, val, epochs=3, progress=False,
               on_batch=lambda epoch, batch, loss: None)
    finally:
        sys.settrace(None)
    return [line for line in candidates if line in ran]


@pytest.mark.parametrize("line", fit_lines())
def test_ctrl_c_landing_on_any_line_of_the_second_epoch_keeps_the_promise(line):
    model, optimizer, (train, val) = problem()
    weights, seen = [], []

    def tracer(frame, event, arg):
        if frame.f_code is not nn.fit.__code__:
            return None

        def on_line(frame, event, arg):
            if event == "line" and frame.f_lineno == line and frame.f_locals.get("epoch") == 1:
                seen.append(line)
                sys.settrace(None)
                frame.f_trace = None
                raise KeyboardInterrupt
            return on_line
        return on_line

    def on_batch(epoch, batch, loss):  # the last batch's weights are the epoch's
        weights[epoch:] = [model.state_dict()["0.weight"]]

    sys.settrace(tracer)
    try:
        history = nn.fit(model, nn.cross_entropy, optimizer, train, val, epochs=3,
                         progress=False, on_batch=on_batch)
    finally:
        sys.settrace(None)
    assert seen, f"line {line} ran in the second epoch of the dry run but not now"
    assert history.interrupted and len(history) in (1, 2)
    check_whole(history, model, weights)


def test_fit_refuses_a_loader_without_targets():
    model, optimizer, _ = problem()
    inputs_only = nn.DataLoader(np.zeros((8, 3), np.float32), batch_size=4)
    with pytest.raises(ValueError, match="fit: the training loader gives inputs without "
                                         "targets"):
        nn.fit(model, nn.cross_entropy, optimizer, inputs_only, progress=False)
