"""Learning end to end: XOR, two moons with the scalar MLP, and the `fit` loop's contract."""

import json

import numpy as np
import pytest

import nn
import nn.train


def make_moons(n, noise, seed):
    """Two interleaved half circles, labelled +1 (upper) and -1 (lower)."""
    rng = np.random.default_rng(seed)
    t = rng.uniform(0, np.pi, n)
    upper = np.arange(n) % 2 == 0
    x = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)],
                 np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
    return x + noise * rng.normal(size=(n, 2)), np.where(upper, 1.0, -1.0)


def test_xor_with_2_2_1_sigmoid_mlp():
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
    y = np.array([[0], [1], [1], [0]], dtype=float)
    model = nn.mlp(2, [2, 1], activation="sigmoid", output_activation="sigmoid",
                   init="normal", dtype="float64", seed=0)
    optimizer = nn.SGD(model.parameters(), lr=2.0, momentum=0.9)
    history = nn.fit(model, nn.mse_loss, optimizer, nn.DataLoader(x, y, batch_size=4),
                     epochs=1000, progress=False)
    assert history.train_accuracy[-1] == 1.0
    np.testing.assert_array_equal(model(x).data.round(), y)


def test_two_moons_scalar_mlp_reaches_full_training_accuracy():
    # micrograd's demo: hinge loss + L2 on a 2-16-16-1 network of Values, decaying lr
    x, y = make_moons(100, 0.1, seed=0)
    rows = [[float(a) for a in row] for row in x]
    model = nn.MLP(2, [16, 16, 1], seed=0)
    optimizer = nn.SGD(model.parameters(), lr=1.0)
    for step in range(100):
        scores = [model(row) for row in rows]
        accuracy = nn.accuracy(np.array([s.data for s in scores]), y)
        if accuracy == 1.0:
            break
        loss = nn.hinge_loss(scores, y) + 1e-4 * nn.l2_penalty(model.parameters())
        optimizer.zero_grad()
        loss.backward()
        optimizer.lr = 1.0 - 0.9 * step / 100
        optimizer.step()
    assert accuracy == 1.0


def _regression(slope, n=32, seed=0):
    x = np.random.default_rng(seed).normal(size=(n, 1))
    return x, slope * x


def _line_model():
    model = nn.Linear(1, 1, bias=False, init="zeros", dtype="float64")
    return model, nn.SGD(model.parameters(), lr=0.05)


def test_early_stopping_restores_best_weights():
    # train towards w = 1 while the validation data wants w = 0.5: val loss falls, then rises
    model, optimizer = _line_model()
    snapshots = []
    history = nn.fit(model, nn.mse_loss, optimizer, nn.DataLoader(*_regression(1.0), 8),
                     val_loader=nn.DataLoader(*_regression(0.5, seed=1), 8), epochs=100,
                     patience=3, progress=False,
                     on_epoch=lambda e, h: snapshots.append(model.weight.data.copy()))
    best = int(np.argmin(history.val_loss))
    assert history.stopped_early and 0 < best == history.best_epoch
    assert len(history) == best + 1 + 3
    assert history.val_loss[best] < history.val_loss[-1]
    np.testing.assert_array_equal(model.weight.data, snapshots[best])
    assert not np.array_equal(snapshots[-1], snapshots[best])


def test_keyboard_interrupt_stops_cleanly_with_best_weights():
    model, optimizer = _line_model()
    snapshots = []

    def on_batch(epoch, batch, loss):
        if epoch == 3 and batch == 1:
            raise KeyboardInterrupt  # as Ctrl-C would, after a step of epoch 3

    history = nn.fit(model, nn.mse_loss, optimizer, nn.DataLoader(*_regression(1.0), 8),
                     val_loader=nn.DataLoader(*_regression(1.0, seed=1), 8), epochs=10,
                     progress=False, on_batch=on_batch,
                     on_epoch=lambda e, h: snapshots.append(model.weight.data.copy()))
    assert history.interrupted and not history.stopped_early
    assert len(history) == 3 and history.best_epoch == 2
    np.testing.assert_array_equal(model.weight.data, snapshots[2])


def test_classifier_history_scheduler_and_exports(tmp_path):
    rng = np.random.default_rng(0)
    centres = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])
    labels = rng.integers(0, 3, 300)
    x = centres[labels] + 0.5 * rng.normal(size=(300, 2))
    x_train, x_val, y_train, y_val = nn.train_val_split(x, labels, 0.2, seed=0)
    model = nn.mlp(2, [8, 3], seed=0)
    optimizer = nn.Adam(model.parameters(), lr=0.05)
    history = nn.fit(model, nn.cross_entropy, optimizer,
                     nn.DataLoader(x_train, y_train, 32, shuffle=True, seed=0),
                     nn.DataLoader(x_val, y_val, 64), epochs=6,
                     scheduler=nn.StepLR(optimizer, step_size=2, gamma=0.5), progress=False)
    assert history.val_accuracy[-1] > 0.95
    assert history.lr == [0.05, 0.05, 0.025, 0.025, 0.0125, 0.0125]
    assert all(t >= 0 for t in history.epoch_time)

    data = json.loads(history.to_json(tmp_path / "h.json"))
    assert data == json.loads((tmp_path / "h.json").read_text())
    assert data["val_loss"] == history.val_loss and data["best_epoch"] == history.best_epoch
    lines = history.to_csv(tmp_path / "h.csv").splitlines()
    assert lines[0] == "epoch,train_loss,train_accuracy,val_loss,val_accuracy,epoch_time,lr"
    assert len(lines) == 7 and lines[1].startswith("1,")
    assert (tmp_path / "h.csv").read_text().splitlines() == lines


def test_progress_falls_back_to_plain_lines(monkeypatch, capsys):
    monkeypatch.setattr(nn.train, "tqdm", None)
    model, optimizer = _line_model()
    nn.fit(model, nn.mse_loss, optimizer, nn.DataLoader(*_regression(1.0), 8), epochs=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("epoch 1/2  loss ") and out[1].startswith("epoch 2/2")


def test_accuracy_conventions():
    assert nn.accuracy(np.array([[0.1, 0.9], [0.8, 0.2]]), np.array([1, 1])) == 0.5
    assert nn.accuracy(np.array([[0.1, 0.9]]), np.array([[0, 1]])) == 1.0  # one-hot
    assert nn.accuracy(np.array([0.3, -0.2, 2.0]), np.array([1.0, -1.0, -1.0])) == 2 / 3
    assert nn.accuracy(np.array([[0.7], [0.2]]), np.array([[1.0], [1.0]])) == 0.5
    assert nn.accuracy(np.array([0.3, -0.2]), np.array([1, 0]), threshold=0.0) == 1.0


def _dropout_classifier(compiled, loss_fn=nn.cross_entropy, dropout=0.2):
    """fit on three blobs with dropout, a partial last batch, validation and a schedule."""
    rng = np.random.default_rng(1)
    labels = rng.integers(0, 3, 150)
    x = np.array([[2.0, 0.0], [-2.0, 0.0], [0.0, 2.5]])[labels] + 0.5 * rng.normal(size=(150, 2))
    model = nn.Sequential(nn.Linear(2, 16, dtype="float64", seed=0), nn.ReLU(),
                          nn.Dropout(dropout, seed=1), nn.Linear(16, 3, dtype="float64", seed=2))
    optimizer = nn.SGD(model.parameters(), lr=0.1, momentum=0.9)
    history = nn.fit(model, loss_fn, optimizer,
                     nn.DataLoader(x[:120], labels[:120], 32, shuffle=True, seed=0),
                     nn.DataLoader(x[120:], labels[120:], 64), epochs=5,
                     scheduler=nn.StepLR(optimizer, step_size=2, gamma=0.5), progress=False,
                     compiled=compiled)
    return history, [p.data.copy() for p in model.parameters()]


def test_compiled_fit_equals_eager_fit_to_the_last_bit():
    """fit compiles its step by default (captured for 32 and for the last 24, replayed
    from the third epoch): dropout's masks, the schedule and validation as eager."""
    (eager, eager_weights), (compiled, weights) = (_dropout_classifier(False),
                                                   _dropout_classifier(True))
    assert compiled.train_loss == eager.train_loss and compiled.val_loss == eager.val_loss
    assert compiled.train_accuracy == eager.train_accuracy
    for a, b in zip(weights, eager_weights):
        assert np.array_equal(a, b)


def test_fit_trains_eagerly_with_a_warning_when_the_step_does_not_compile():
    def reading_loss(out, y):  # reads a value: a replay could not run this Python code
        return nn.cross_entropy(out, y) * (1.0 if out.data.size else 0.0)

    # no dropout: the step refused midway runs again, drawing its masks a second time
    (eager, eager_weights) = _dropout_classifier(False, reading_loss, dropout=0.0)
    with pytest.warns(RuntimeWarning, match=r"fit: training step not compiled, trained "
                                            r"eagerly: .*used a tensor's values \(\.data\)"):
        compiled, weights = _dropout_classifier(True, reading_loss, dropout=0.0)
    assert compiled.train_loss == eager.train_loss
    for a, b in zip(weights, eager_weights):
        assert np.array_equal(a, b)


def test_a_step_found_not_to_compile_after_it_ran_is_not_run_twice():
    """Two captures that disagree (a loss switching on a counter) are found out after the
    second step ran to its end: that step counts once, then training goes on eagerly."""
    def switching_loss():
        calls = []

        def loss(out, y):
            calls.append(1)
            return nn.cross_entropy(out, y) * (0.5 if len(calls) % 2 else 1.0)
        return loss

    eager, eager_weights = _dropout_classifier(False, switching_loss())
    with pytest.warns(RuntimeWarning, match="training_step: .* differs between two calls"):
        compiled, weights = _dropout_classifier(True, switching_loss())
    assert compiled.train_loss == eager.train_loss
    for a, b in zip(weights, eager_weights):
        assert np.array_equal(a, b)
