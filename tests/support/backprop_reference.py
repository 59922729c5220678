"""The four backpropagation equations, by hand, vectorised over a mini-batch. No autograd.

For a fully connected network with weights W^l (out, in), biases b^l, pre-activations
z^l = a^{l-1} W^l^T + b^l and activations a^l = sigma(z^l), with a softmax cross-entropy
cost averaged over the batch (so grad_a C * sigma'(z^L) is (softmax(z^L) - y) / n):

    (BP1) delta^L = grad_a C * sigma'(z^L)
    (BP2) delta^l = (delta^{l+1} W^{l+1}) * sigma'(z^l)
    (BP3) dC/db^l = sum over the batch of delta^l
    (BP4) dC/dW^l = delta^l^T a^{l-1}

Rows are examples, so the lectures' W^T delta becomes delta W and delta a^T becomes
delta^T a. This is the no-autograd baseline of benchmarks/mnist_mlp.py, and the tests
check that the engine's gradients equal these.
"""

from __future__ import annotations

import numpy as np

ACTIVATIONS = {
    # name: (sigma(z), sigma'(z) written from z)
    "relu": (lambda z: np.maximum(z, 0), lambda z: (z > 0).astype(z.dtype)),
    "sigmoid": (lambda z: 1 / (1 + np.exp(-z)), lambda z: np.exp(-z) / (1 + np.exp(-z)) ** 2),
    "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
}


def forward(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray,
            activation: str = "relu") -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations z^l and activations a^l (a^0 = x; the last layer is linear)."""
    sigma = ACTIVATIONS[activation][0]
    zs, activations = [], [x]
    for depth, (w, b) in enumerate(zip(weights, biases)):
        z = activations[-1] @ w.T + b
        zs.append(z)
        activations.append(z if depth == len(weights) - 1 else sigma(z))
    return zs, activations


def softmax(z: np.ndarray) -> np.ndarray:
    shifted = np.exp(z - z.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def loss_and_gradients(weights: list[np.ndarray], biases: list[np.ndarray], x: np.ndarray,
                       labels: np.ndarray, activation: str = "relu"):
    """Mean softmax cross-entropy and (dC/dW^l, dC/db^l) for every layer by BP1-BP4."""
    sigma_prime = ACTIVATIONS[activation][1]
    zs, activations = forward(weights, biases, x, activation)
    n = x.shape[0]
    probabilities = softmax(zs[-1])
    loss = -np.mean(np.log(probabilities[np.arange(n), labels]))
    delta = probabilities
    delta[np.arange(n), labels] -= 1
    delta /= n  # BP1 for softmax + cross-entropy, averaged over the batch
    weight_grads = [None] * len(weights)
    bias_grads = [None] * len(weights)
    for layer in reversed(range(len(weights))):
        weight_grads[layer] = delta.T @ activations[layer]  # BP4
        bias_grads[layer] = delta.sum(axis=0)  # BP3
        if layer > 0:
            delta = (delta @ weights[layer]) * sigma_prime(zs[layer - 1])  # BP2
    return loss, weight_grads, bias_grads
