"""nn.preprocess: the input standardisation layer a model carries with it."""

import json

import numpy as np

from autograd import Tensor
from nn.preprocess import Standardize


def test_standardize_fit_centres_and_scales_to_one_global_std():
    x = np.random.default_rng(0).uniform(0, 1, size=(50, 6)) * [1, 2, 3, 4, 5, 0]
    layer = Standardize.fit(x)
    y = layer(Tensor(x, dtype="float64")).data
    np.testing.assert_allclose(y.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.std(), 1.0, rtol=1e-12)
    rebuilt = Standardize.from_config(json.loads(json.dumps(layer.config())), [])
    np.testing.assert_array_equal(rebuilt.mean, layer.mean)
    assert rebuilt.std == layer.std
