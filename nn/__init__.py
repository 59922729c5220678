"""chainrule.nn: layers, losses, optimizers, data and training built on `autograd`."""

from nn import functional, init, models, optim
from nn.activations import (
    ACTIVATIONS,
    ELU,
    LeakyReLU,
    Maxout,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Step,
    Tanh,
)
from nn.clip import clip_grad_norm
from nn.conv import AvgPool2d, Conv1d, Conv2d, MaxPool2d
from nn.data import DataLoader, RandomShift, train_val_split
from nn.datasets import load_mnist, load_mnist_sample
from nn.diagnostics import activation_stats, gradient_norms
from nn.export import export_model  # ONNX and torch load only when used
from nn.io import load, save
from nn.layers import Dropout, Flatten, Linear, Sequential, mlp
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    l1_penalty,
    l2_penalty,
    mse_loss,
    quadratic_cost,
)
from nn.models import LeNet5
from nn.module import MODULE_TYPES, Module, register_module
from nn.onnx_export import export_onnx
from nn.optim import SGD, Adam, CosineAnnealingLR, StepLR, weights_and_biases
from nn.preprocess import FeatureScaler, Standardize
from nn.rnn import LSTM, RNN, LSTMCell, RNNCell
from nn.scalar import MLP, Layer, Neuron
from nn.scalar_rnn import ScalarRNNCell
from nn.scalar_view import ScalarView
from nn.torch_bridge import from_torch, to_torch
from nn.train import History, accuracy, evaluate, fit

__all__ = [
    "AvgPool2d", "Conv1d", "Conv2d", "LeNet5", "MaxPool2d", "functional", "models",
    "ELU", "MLP", "MODULE_TYPES", "SGD", "Adam", "CosineAnnealingLR", "DataLoader", "Dropout",
    "Flatten", "History", "Layer", "LeakyReLU", "Linear", "Maxout", "Module", "Neuron", "ReLU",
    "RandomShift",
    "ScalarView", "Sequential", "Sigmoid", "Softmax", "Softplus", "Standardize", "FeatureScaler",
    "Step", "StepLR", "ACTIVATIONS",
    "Tanh",
    "accuracy", "activation_stats", "binary_cross_entropy", "binary_cross_entropy_with_logits",
    "cross_entropy", "evaluate", "fit", "gradient_norms", "hinge_loss", "init", "l1_penalty",
    "l2_penalty", "load", "load_mnist", "load_mnist_sample", "mlp", "mse_loss", "optim",
    "quadratic_cost", "register_module", "save", "train_val_split", "weights_and_biases",
    "export_model", "export_onnx", "from_torch", "to_torch",
    # recurrent nets
    "LSTM", "RNN", "LSTMCell", "RNNCell", "ScalarRNNCell", "clip_grad_norm",
]
