"""DataLoader batching and seeded shuffling, train/validation split, standardisation."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nn

X = np.arange(20.0).reshape(10, 2)
Y = np.arange(10)


def _epochs(loader, n):
    return [[y.tolist() for _, y in loader] for _ in range(n)]


def test_batches_cover_data_in_order():
    batches = list(nn.DataLoader(X, Y, batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in batches]), X)
    assert len(nn.DataLoader(X, Y, batch_size=4)) == 3
    assert len(nn.DataLoader(X, Y, batch_size=4, drop_last=True)) == 2
    assert [len(y) for _, y in nn.DataLoader(X, Y, batch_size=4, drop_last=True)] == [4, 4]


def test_shuffle_is_deterministic_per_seed_and_differs_per_epoch():
    a = _epochs(nn.DataLoader(X, Y, batch_size=3, shuffle=True, seed=5), 3)
    b = _epochs(nn.DataLoader(X, Y, batch_size=3, shuffle=True, seed=5), 3)
    c = _epochs(nn.DataLoader(X, Y, batch_size=3, shuffle=True, seed=6), 3)
    assert a == b and a != c
    assert a[0] != a[1]  # a new order each epoch
    for epoch in a:  # every example exactly once per epoch
        assert sorted(sum(epoch, [])) == list(range(10))


def test_pairs_stay_aligned_and_inputs_alone_work():
    for x, y in nn.DataLoader(X, Y, batch_size=3, shuffle=True, seed=0):
        np.testing.assert_array_equal(x[:, 0], 2 * y)
    assert [len(x) for x in nn.DataLoader(X, batch_size=4)] == [4, 4, 2]


def test_loader_argument_errors():
    with pytest.raises(ValueError, match="10 inputs but 9 targets"):
        nn.DataLoader(X, Y[:9])
    with pytest.raises(ValueError, match="batch_size must be >= 1"):
        nn.DataLoader(X, Y, batch_size=0)


def test_train_val_split_seeded_and_disjoint():
    xt, xv, yt, yv = nn.train_val_split(X, Y, val_fraction=0.3, seed=1)
    assert len(xv) == 3 and len(xt) == 7
    assert sorted(yt.tolist() + yv.tolist()) == list(range(10))
    np.testing.assert_array_equal(xt[:, 0], 2 * yt)
    again = nn.train_val_split(X, Y, val_fraction=0.3, seed=1)
    np.testing.assert_array_equal(again[3], yv)
    with pytest.raises(ValueError, match="val_fraction"):
        nn.train_val_split(X, Y, val_fraction=1.5)


def test_standardizer_fits_on_train_only():
    rng = np.random.default_rng(0)
    train = rng.normal(3.0, 2.0, size=(500, 4)).astype(np.float32)
    train[:, 3] = 7.0  # a constant feature is only centred
    test = rng.normal(3.0, 2.0, size=(50, 4)).astype(np.float32)
    scaler = nn.FeatureScaler().fit(train)
    z = scaler.transform(train)
    assert z.dtype == np.float32
    np.testing.assert_allclose(z.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(z.std(axis=0)[:3], 1, atol=1e-5)
    np.testing.assert_array_equal(z[:, 3], 0)
    mean, std = train.mean(0, dtype=np.float64)[:3], train.std(0, dtype=np.float64)[:3]
    np.testing.assert_allclose(scaler.transform(test)[:, :3], (test[:, :3] - mean) / std,
                               rtol=1e-5)


def test_standardizer_keeps_image_shape_and_checks_it():
    images = np.random.default_rng(1).random((20, 3, 3))
    scaler = nn.FeatureScaler().fit(images)
    assert scaler.transform(images).shape == (20, 3, 3)
    with pytest.raises(ValueError, match="fitted on examples of shape"):
        scaler.transform(np.zeros((2, 9)))
    with pytest.raises(RuntimeError, match="call fit"):
        nn.FeatureScaler().transform(images)


def test_pca_whitening_decorrelates():
    rng = np.random.default_rng(2)
    mixing = np.array([[2.0, 0.0, 0.0], [1.5, 0.5, 0.0], [0.3, -0.2, 1.0]])
    x = rng.normal(size=(2000, 3)) @ mixing.T + 5.0
    white = nn.FeatureScaler(whiten=True).fit_transform(x)
    np.testing.assert_allclose(np.cov(white, rowvar=False, bias=True), np.eye(3), atol=1e-6)


@given(st.integers(0, 3), st.integers(0, 2**32 - 1))
def test_random_shift_moves_each_image_by_at_most_max_shift(max_shift, seed):
    rng = np.random.default_rng(seed)
    rows, cols = rng.integers(3, 25, 8), rng.integers(3, 25, 8)
    images = np.zeros((8, 28, 28), np.float32)
    images[np.arange(8), rows, cols] = 1.0  # one bright pixel each, away from the border
    moved = nn.RandomShift(max_shift)(images.reshape(8, 784), np.random.default_rng(seed))
    assert moved.shape == (8, 784)
    new_rows, new_cols = np.divmod(moved.argmax(axis=1), 28)
    assert np.all(moved.sum(axis=1) == 1.0)  # nothing lost, nothing invented
    assert np.all(np.abs(new_rows - rows) <= max_shift)
    assert np.all(np.abs(new_cols - cols) <= max_shift)


def test_random_shift_fills_with_zeros_and_keeps_nchw_shape():
    images = np.ones((50, 1, 28, 28), np.float32)
    moved = nn.RandomShift(2)(images, np.random.default_rng(0))
    assert moved.shape == images.shape
    assert moved.min() == 0.0  # some image moved: zeros came in from the border
    assert np.all(moved.sum(axis=(1, 2, 3)) >= 26 * 26)  # at most 2 rows and 2 columns lost


def test_random_shift_rejects_a_batch_that_is_not_images():
    with pytest.raises(ValueError, match=r"RandomShift: a batch of shape \(2, 10\) does not hold "
                                         r"28x28 images"):
        nn.RandomShift(1)(np.zeros((2, 10)), np.random.default_rng(0))


def test_data_loader_applies_its_transform_to_inputs_only():
    x, y = np.arange(12.0).reshape(6, 2), np.arange(6)
    loader = nn.DataLoader(x, y, batch_size=4, transform=lambda batch, rng: -batch)
    (xb, yb), (xb2, yb2) = list(loader)
    assert np.array_equal(xb, -x[:4]) and np.array_equal(yb, y[:4])
    assert np.array_equal(xb2, -x[4:]) and np.array_equal(yb2, y[4:])
