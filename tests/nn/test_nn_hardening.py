"""nn on bad input: non-finite optimizer settings, standardising layers that cannot work,
targets outside a loss's range, unlabelled training data and a diverging fit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import nn
from autograd import Tensor, Value

NAN, INF = float("nan"), float("inf")


def params():
    return [Tensor([1.0, 2.0], requires_grad=True)]


# -- optimizers -------------------------------------------------------------------------
@pytest.mark.parametrize("make, argument", [
    (lambda: nn.SGD(params(), lr=NAN), "lr"),
    (lambda: nn.SGD(params(), lr=INF), "lr"),
    (lambda: nn.Adam(params(), lr=NAN), "lr"),
    (lambda: nn.SGD(params(), lr=0.1, weight_decay=NAN), "weight_decay"),
    (lambda: nn.SGD(params(), lr=0.1, weight_decay=INF), "weight_decay"),
    (lambda: nn.SGD(params(), lr=0.1, weight_decay=-1.0), "weight_decay"),
    (lambda: nn.SGD(params(), lr=0.1, momentum=NAN), "momentum"),
    (lambda: nn.SGD(params(), lr=0.1, momentum=-0.5), "momentum"),
    (lambda: nn.Adam(params(), eps=0.0), "eps"),
    (lambda: nn.Adam(params(), eps=NAN), "eps"),
    (lambda: nn.Adam(params(), eps=-1e-8), "eps"),
    (lambda: nn.Adam(params(), betas=(NAN, 0.999)), "betas"),
    (lambda: nn.Adam(params(), betas=(0.9, -0.1)), "betas"),
    (lambda: nn.Adam(params(), weight_decay=NAN), "weight_decay"),
], ids=["sgd-lr-nan", "sgd-lr-inf", "adam-lr-nan", "wd-nan", "wd-inf", "wd-negative",
        "momentum-nan", "momentum-negative", "eps-0", "eps-nan", "eps-negative", "beta-nan",
        "beta-negative", "adam-wd-nan"])
def test_optimizers_refuse_bad_settings_naming_the_argument(make, argument):
    with pytest.raises(ValueError, match=rf"^(SGD|Adam): {argument} must"):
        make()


def test_a_scheduler_cannot_set_a_non_finite_lr_silently():
    optimizer = nn.SGD(params(), lr=0.1)
    with pytest.raises(ValueError, match="StepLR: gamma must be"):
        nn.StepLR(optimizer, step_size=1, gamma=NAN)


# -- Standardize ------------------------------------------------------------------------
@pytest.mark.parametrize("std", [1e-300, 0.0, -1.0, NAN, INF, 1e-39])
def test_standardize_refuses_a_std_that_cannot_scale(std):
    with pytest.raises(ValueError, match="Standardize: std"):
        nn.Standardize(np.zeros(3), std)


def test_standardize_accepts_small_but_usable_stds():
    layer = nn.Standardize(np.zeros(2), 1e-30)
    assert np.isfinite(layer(np.ones((1, 2), dtype=np.float32)).data).all()


def test_standardize_refuses_an_input_whose_shape_does_not_match_the_mean():
    layer = nn.Standardize(np.zeros(784), 1.0)
    for bad in (np.zeros((2, 10)), np.zeros((2, 28, 28)), np.zeros((2, 785))):
        with pytest.raises(ValueError, match=r"Standardize: inputs of shape .* do not match "
                                             r"the mean's shape \(784,\)"):
            layer(bad)
    assert layer(np.zeros((2, 784))).shape == (2, 784)
    assert layer(np.zeros(784)).shape == (784,)  # one example


def test_standardize_scalar_mean_still_broadcasts():
    assert nn.Standardize(0.5, 2.0)(np.ones((3, 4))).shape == (3, 4)


@pytest.mark.parametrize("buffer, value", [("std", 1e-300), ("std", NAN), ("std", -1.0),
                                           ("mean", np.array([0.0, INF, 0.0]))])
def test_loading_buffers_that_fail_the_layer_s_checks_is_refused(buffer, value):
    model = nn.Sequential(nn.Standardize(np.zeros(3), 1.0), nn.Linear(3, 2, seed=0))
    state = model.state_dict()
    state[f"0.{buffer}"] = np.asarray(value, dtype=np.float64)
    with pytest.raises(ValueError, match="Standardize"):
        model.load_state_dict(state)
    assert model[0].std == 1.0 and np.all(model[0].mean == 0.0)  # nothing changed
    with pytest.raises(ValueError, match="Standardize"):
        model.load_state_dict(state, strict=False)


def test_nn_load_refuses_a_file_with_a_tiny_std(tmp_path):
    model = nn.Sequential(nn.Standardize(np.zeros(3), 1.0), nn.Linear(3, 2, seed=0))
    model[0].std = np.float64(1e-300)  # as a hostile or corrupt file would hold
    path = tmp_path / "model.npz"
    nn.save(model, path)
    with pytest.raises(ValueError, match="Standardize: std"):
        nn.load(path)


# -- losses -----------------------------------------------------------------------------
@pytest.mark.parametrize("loss", [nn.binary_cross_entropy, nn.binary_cross_entropy_with_logits])
@pytest.mark.parametrize("target", [2.0, -0.5, NAN])
def test_binary_cross_entropy_refuses_targets_outside_0_1(loss, target):
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        loss(Tensor([0.5, 0.5]), [1.0, target])
    with pytest.raises(ValueError, match=r"targets must lie in \[0, 1\]"):
        loss([Value(0.5), Value(0.5)], [1.0, target])


def test_binary_cross_entropy_still_takes_soft_targets():
    assert math.isfinite(float(nn.binary_cross_entropy(Tensor([0.3]), [0.25]).data))


# -- fit --------------------------------------------------------------------------------
def test_fit_with_an_unlabelled_loader_is_a_clear_error():
    model = nn.mlp(2, [3, 2], seed=0)
    with pytest.raises(ValueError, match="fit: the training loader gives inputs without "
                                         "targets"):
        nn.fit(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.1),
               nn.DataLoader(np.zeros((4, 2))), progress=False)
    labelled = nn.DataLoader(np.zeros((4, 2)), np.zeros(4, dtype=int))
    with pytest.raises(ValueError, match="fit: the validation loader gives inputs without"):
        nn.fit(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.1), labelled,
               nn.DataLoader(np.zeros((4, 2))), progress=False)


def test_fit_warns_when_training_ends_with_a_non_finite_loss():
    model = nn.mlp(2, [3, 1], seed=0)
    x = np.ones((8, 2), dtype=np.float32)
    y = np.full((8, 1), np.float32(1e30))
    with pytest.warns(RuntimeWarning, match="non-finite loss"):
        nn.fit(model, nn.mse_loss, nn.SGD(model.parameters(), lr=1.0),
               nn.DataLoader(x, y, batch_size=8), epochs=2, progress=False, metric=None)


def test_fit_does_not_warn_when_training_goes_well():
    model = nn.mlp(2, [3, 2], seed=0)
    x = np.random.default_rng(0).standard_normal((16, 2)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.fit(model, nn.cross_entropy, nn.SGD(model.parameters(), lr=0.1),
               nn.DataLoader(x, y, batch_size=8), epochs=2, progress=False)


# -- sizes ------------------------------------------------------------------------------
@pytest.mark.parametrize("make, argument", [
    (lambda: nn.Linear(INF, 3), "in_features"),
    (lambda: nn.Linear(3, NAN), "out_features"),
    (lambda: nn.Linear(2.5, 3), "in_features"),
    (lambda: nn.Conv2d(1, INF, 3), "out_channels"),
    (lambda: nn.LSTM(2, INF), "hidden_size"),
    (lambda: nn.DataLoader(np.zeros((3, 2)), batch_size=INF), "batch_size"),
], ids=["linear-inf", "linear-nan", "linear-fraction", "conv-inf", "lstm-inf", "loader-inf"])
def test_sizes_that_are_not_whole_numbers_are_named(make, argument):
    with pytest.raises(ValueError, match=rf"{argument} must be a whole number"):
        make()


def test_a_layer_too_large_to_allocate_is_refused_before_allocating():
    with pytest.raises(ValueError, match=r"a weight of shape \(10000000, 784\) would have"):
        nn.mlp(784, [10 ** 7, 10])


def test_a_shift_that_moves_images_out_of_the_frame_is_refused():
    with pytest.raises(ValueError, match="RandomShift: max_shift 28 must be smaller"):
        nn.RandomShift(28)
    assert nn.RandomShift(27).max_shift == 27
