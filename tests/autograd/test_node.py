"""The bottom of the engine (autograd.node): the recording flag and no_grad."""

import math

import pytest

from autograd import Value, is_recording, no_grad


def test_no_grad_records_nothing():
    x = Value(2.0)
    with no_grad():
        assert not is_recording()
        y = (x * x).exp() + 1.0
        z = Value.sum([x, y])
    assert is_recording()
    for node in (y, z):
        assert node.parents == () and node.op is None
    assert y.data == pytest.approx(math.exp(4.0) + 1.0)
    y.backward()
    assert x.grad == 0.0


def test_no_grad_restores_recording_after_an_error():
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert is_recording()
    assert (Value(1.0) * 2.0).parents != ()
