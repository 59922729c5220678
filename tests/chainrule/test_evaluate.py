"""`chainrule evaluate` on the model of the tiny training run."""

import re

import pytest


def test_evaluate_prints_accuracy_loss_and_per_digit_table(trained, run):
    out, train_text = trained
    code, text = run(["evaluate", str(out / "model.npz"), "--sample", "--threads", "1"])
    assert code == 0
    accuracy = re.search(r"test accuracy: ([\d.]+)%", train_text).group(1)
    assert f"test accuracy: {accuracy}%" in text and "loss:" in text
    rows = re.findall(r"^\s+(\d)\s+100\s+(\d+)\s+([\d.]+)%$", text, re.MULTILINE)
    assert [int(r[0]) for r in rows] == list(range(10))
    assert sum(int(r[1]) for r in rows) / 1000 == pytest.approx(float(accuracy) / 100)
