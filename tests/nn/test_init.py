"""Initialisers: the variance each scheme promises, seeded draws, clear errors."""

import numpy as np
import pytest

import nn
from nn import init

SHAPE = (400, 300)  # (out, in): fan_in 300, fan_out 400

EXPECTED_VARIANCE = {
    "normal": 1.0,
    "uniform": 1 / 3,  # U(-1, 1)
    "gaussian_fan_in": 1 / 300,
    "xavier_normal": 2 / 700,
    "xavier_uniform": 2 / 700,  # bound √(6/700): variance bound²/3
    "he_normal": 2 / 300,
    "he_uniform": 2 / 300,
}


@pytest.mark.parametrize("name", EXPECTED_VARIANCE)
def test_variance_and_mean(name):
    w = init.initialize(name, SHAPE, np.random.default_rng(0))
    assert w.shape == SHAPE
    assert abs(w.mean()) < 0.05 * np.sqrt(EXPECTED_VARIANCE[name])
    assert w.var() == pytest.approx(EXPECTED_VARIANCE[name], rel=0.02)


def test_uniform_bounds_and_zeros():
    bound = np.sqrt(6 / 300)
    w = init.he_uniform(SHAPE, np.random.default_rng(1))
    assert w.min() >= -bound and w.max() <= bound
    assert not init.initialize("zeros", (3, 2), np.random.default_rng(0)).any()


def test_conv_fans_count_the_kernel():
    assert init.fans((8, 3, 5, 5)) == (75, 200)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.fans((5,))


def test_seeded_draws_reproduce():
    a = init.initialize("xavier_normal", (4, 3), init.make_rng(seed=3))
    b = init.initialize("xavier_normal", (4, 3), init.make_rng(seed=3))
    np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(5)
    assert init.make_rng(rng=rng) is rng
    with pytest.raises(ValueError, match="either seed= or rng="):
        init.make_rng(seed=1, rng=rng)


def test_unknown_scheme_named():
    with pytest.raises(ValueError, match="unknown initialiser 'glorot'"):
        nn.Linear(2, 2, init="glorot")


def test_shared_generator_gives_distinct_layers():
    model = nn.mlp(4, [4, 4], seed=0)
    assert not np.array_equal(model[0].weight.data, model[2].weight.data)
    np.testing.assert_array_equal(model[2].weight.data, nn.mlp(4, [4, 4], seed=0)[2].weight.data)


def test_draw_at_most_refuses_before_drawing_and_ends_with_its_block():
    rng = np.random.default_rng(0)
    with init.draw_at_most(10, "the test's budget"):
        assert init.initialize("normal", (2, 3), rng).shape == (2, 3)
        with pytest.raises(ValueError, match=r"shape \(2, 3\) \(6 numbers\) would go beyond "
                                             r"the test's budget \(10 numbers in all\)"):
            init.initialize("normal", (2, 3), rng)
    assert init.initialize("normal", (2, 3), rng).shape == (2, 3)
