"""A small neural network in NumPy, built from the convolution of notebook 03 (notebook 03).

Each layer is a small class with ``forward(x)`` (remembering what the backward pass needs),
``backward(dout)`` (returning the gradient with respect to its input and storing its
parameters' gradients in ``grads``) and a ``params`` dict, in the style of *Deep Learning from
Scratch*'s ``common/layers.py``:

* :class:`Conv2D`, :class:`Pool2D` (:class:`MaxPool2D`, :class:`AvgPool2D`), :class:`ReLU`,
  :class:`Flatten`, :class:`Dense`, :class:`SoftmaxCrossEntropy`;
* :class:`Sequential` chains them and adds the loss; :func:`simple_convnet` builds DLFS's
  SimpleConvNet (in NHWC);
* :class:`SGD` (with momentum) and :class:`Adam` update the parameters.

The convolution layer calls :mod:`course_utils.conv_fast` (the functions of :mod:`course_utils.conv`
run on all cores, proven equal to them by the tests), so the network trains in minutes on a CPU.
Check every backward pass with :mod:`course_utils.gradcheck`.
"""

from __future__ import annotations

import numpy as np

from course_utils.arithmetic import output_size
from course_utils.checks import int_pair, one_of, padding_2d, positive_int
from course_utils.conv import POOL_MODES, pool2d, pool2d_backward
from course_utils.conv_fast import conv2d, conv2d_backward, matmul

__all__ = [
    "SGD",
    "Adam",
    "AvgPool2D",
    "Conv2D",
    "Dense",
    "Flatten",
    "Layer",
    "MaxPool2D",
    "Pool2D",
    "ReLU",
    "Sequential",
    "SoftmaxCrossEntropy",
    "simple_convnet",
]


class Layer:
    """Base class: ``forward(x)`` keeps what ``backward(dout)`` needs; ``params`` / ``grads`` dicts (notebook 03)."""

    def __init__(self):
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}

    def forward(self, x):  # pragma: no cover - interface
        raise NotImplementedError

    def backward(self, dout):  # pragma: no cover - interface
        raise NotImplementedError

    def __repr__(self) -> str:
        shapes = ", ".join(f"{k}{v.shape}" for k, v in self.params.items())
        return f"{type(self).__name__}({shapes})"


def _rng(rng) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


class Conv2D(Layer):
    """Convolution layer. params: ``w`` (FH, FW, C, FN), ``b`` (FN,); x: (N, H, W, C) -> (N, OH, OW, FN) (notebook 03).

    Weights are drawn from N(0, std²) with He's std sqrt(2 / (FH*FW*C)) unless ``weight_std`` is
    given; biases start at zero.
    """

    def __init__(self, in_channels: int, filters: int, kernel_size=3, stride=1, padding="valid",
                 dilation=1, *, rng=None, weight_std: float | None = None, dtype=np.float32):
        super().__init__()
        fh, fw = int_pair("kernel size", kernel_size)
        positive_int("in_channels", in_channels)
        positive_int("filters", filters)
        std = np.sqrt(2.0 / (fh * fw * in_channels)) if weight_std is None else weight_std
        self.params["w"] = (_rng(rng).standard_normal((fh, fw, in_channels, filters)) * std).astype(dtype)
        self.params["b"] = np.zeros(filters, dtype=dtype)
        self.stride, self.padding, self.dilation = stride, padding, dilation
        int_pair("stride", stride)
        int_pair("dilation", dilation)
        padding_2d(padding)
        self._x = None

    def forward(self, x):
        self._x = x
        return conv2d(x, self.params["w"], self.params["b"], self.stride, self.padding, self.dilation)

    def backward(self, dout):
        if self._x is None:
            raise ValueError("call forward before backward")
        dx, dw, db = conv2d_backward(dout, self._x, self.params["w"], self.stride, self.padding, self.dilation)
        self.grads["w"], self.grads["b"] = dw, db
        return dx


class Pool2D(Layer):
    """Pooling layer (no parameters). x: (N, H, W, C) -> (N, OH, OW, C) (notebook 03)."""

    def __init__(self, size=2, stride=None, mode: str = "max", padding="valid"):
        super().__init__()
        one_of("pool mode", mode, POOL_MODES)
        int_pair("pool size", size)
        self.size, self.stride, self.mode, self.padding = size, stride, mode, padding
        self._x = None

    def forward(self, x):
        self._x = x
        return pool2d(x, self.size, self.stride, self.mode, self.padding)

    def backward(self, dout):
        if self._x is None:
            raise ValueError("call forward before backward")
        return pool2d_backward(dout, self._x, self.size, self.stride, self.mode, self.padding)


class MaxPool2D(Pool2D):
    def __init__(self, size=2, stride=None, padding="valid"):
        super().__init__(size, stride, "max", padding)


class AvgPool2D(Pool2D):
    def __init__(self, size=2, stride=None, padding="valid"):
        super().__init__(size, stride, "avg", padding)


class ReLU(Layer):
    """max(0, x), elementwise; the gradient passes only where x > 0 (notebook 03)."""

    def forward(self, x):
        self._mask = x > 0
        return np.where(self._mask, x, 0).astype(x.dtype, copy=False)

    def backward(self, dout):
        return np.where(self._mask, dout, 0).astype(dout.dtype, copy=False)


class Flatten(Layer):
    """(N, ...) -> (N, prod(...)), and back in backward (notebook 03)."""

    def forward(self, x):
        self._shape = x.shape
        return x.reshape(x.shape[0], -1)

    def backward(self, dout):
        return dout.reshape(self._shape)


class Dense(Layer):
    """Fully connected (완전 연결) layer. params: ``w`` (D, units), ``b`` (units,); x: (N, D) -> (N, units) (notebook 03)."""

    def __init__(self, in_features: int, units: int, *, rng=None, dtype=np.float32):
        super().__init__()
        positive_int("in_features", in_features)
        positive_int("units", units)
        std = np.sqrt(2.0 / in_features)
        self.params["w"] = (_rng(rng).standard_normal((in_features, units)) * std).astype(dtype)
        self.params["b"] = np.zeros(units, dtype=dtype)
        self._x = None

    def forward(self, x):
        if x.ndim != 2 or x.shape[1] != self.params["w"].shape[0]:
            raise ValueError(
                f"Dense expects x of shape (N, {self.params['w'].shape[0]}), got {x.shape}; add a Flatten first?"
            )
        self._x = x
        return matmul(x, self.params["w"]) + self.params["b"]

    def backward(self, dout):
        self.grads["w"] = matmul(self._x.T, dout)
        self.grads["b"] = dout.sum(axis=0)
        return matmul(dout, self.params["w"].T)


class SoftmaxCrossEntropy:
    """Softmax + mean cross-entropy over the batch. logits: (N, K), labels: (N,) ints in [0, K) (notebook 03)."""

    def forward(self, logits, labels):
        labels = np.asarray(labels)
        if logits.ndim != 2 or labels.shape != (logits.shape[0],):
            raise ValueError(f"expected logits (N, K) and labels (N,), got {logits.shape} and {labels.shape}")
        if labels.size and (labels.min() < 0 or labels.max() >= logits.shape[1]):
            raise ValueError(f"labels must be class indices in [0, {logits.shape[1]}), got {labels.min()}..{labels.max()}")
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        self._p, self._labels = np.exp(logp), labels
        return float(-logp[np.arange(len(labels)), labels].mean())

    def backward(self, dout=1.0):
        d = self._p.copy()
        d[np.arange(len(self._labels)), self._labels] -= 1
        return (d * (dout / len(self._labels))).astype(self._p.dtype, copy=False)


class Sequential:
    """Layers applied in order, with a softmax cross-entropy loss on top (notebook 03)."""

    def __init__(self, layers):
        self.layers = list(layers)
        self.loss_layer = SoftmaxCrossEntropy()

    def forward(self, x):
        for layer in self.layers:
            x = layer.forward(x)
        return x

    predict = forward

    def loss(self, x, labels) -> float:
        return self.loss_layer.forward(self.forward(x), labels)

    def backward(self):
        dout = self.loss_layer.backward()
        for layer in reversed(self.layers):
            dout = layer.backward(dout)
        return dout

    def parameters(self):
        """Yield ``(layer, name)`` for every parameter (``layer.params[name]``)."""
        for layer in self.layers:
            for name in layer.params:
                yield layer, name

    def count_params(self) -> int:
        return sum(layer.params[name].size for layer, name in self.parameters())

    def accuracy(self, x, labels, batch_size: int = 500) -> float:
        correct = 0
        for start in range(0, len(x), batch_size):
            logits = self.forward(x[start : start + batch_size])
            correct += int((logits.argmax(axis=1) == labels[start : start + batch_size]).sum())
        return correct / len(x)

    def train_step(self, x, labels, optimizer) -> float:
        """One forward + backward + update on a batch; returns the batch loss."""
        loss = self.loss(x, labels)
        self.backward()
        optimizer.step(self)
        return loss

    def __repr__(self) -> str:
        inner = ",\n  ".join(repr(layer) for layer in self.layers)
        return f"Sequential(\n  {inner}\n)  # {self.count_params():,} parameters"


def simple_convnet(input_shape=(28, 28, 1), filters: int = 16, kernel_size: int = 5, hidden: int = 100,
                   classes: int = 10, *, rng=None, conv_weight_std: float | None = None) -> Sequential:
    """Conv(valid) - ReLU - MaxPool 2x2 - Flatten - Dense - ReLU - Dense (DLFS's SimpleConvNet, in NHWC) (notebook 03).

    Weights are He-initialised; ``conv_weight_std`` overrides the convolution's (DLFS uses 0.01,
    which makes the learned first-layer filters stand out from their random start).
    """
    rng = _rng(rng)
    h, w, c = input_shape
    oh = output_size(h, kernel_size) // 2
    ow = output_size(w, kernel_size) // 2
    return Sequential([
        Conv2D(c, filters, kernel_size, rng=rng, weight_std=conv_weight_std),
        ReLU(),
        MaxPool2D(2),
        Flatten(),
        Dense(oh * ow * filters, hidden, rng=rng),
        ReLU(),
        Dense(hidden, classes, rng=rng),
    ])


class SGD:
    """Stochastic gradient descent with optional momentum: v = m v - lr g; p += v (notebook 03)."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0):
        self.learning_rate, self.momentum = learning_rate, momentum
        self._v: dict = {}

    def step(self, model: Sequential) -> None:
        for layer, name in model.parameters():
            g = layer.grads[name]
            if self.momentum:
                v = self._v.setdefault((id(layer), name), np.zeros_like(g))
                v *= self.momentum
                v -= self.learning_rate * g
                layer.params[name] += v
            else:
                layer.params[name] -= self.learning_rate * g


class Adam:
    """Adam (Kingma & Ba, 2015) with bias correction (notebook 03)."""

    def __init__(self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.learning_rate, self.beta1, self.beta2, self.eps = learning_rate, beta1, beta2, eps
        self._m: dict = {}
        self._v: dict = {}
        self.t = 0

    def step(self, model: Sequential) -> None:
        self.t += 1
        lr_t = self.learning_rate * np.sqrt(1 - self.beta2**self.t) / (1 - self.beta1**self.t)
        for layer, name in model.parameters():
            g = layer.grads[name]
            key = (id(layer), name)
            m = self._m.setdefault(key, np.zeros_like(g))
            v = self._v.setdefault(key, np.zeros_like(g))
            m += (1 - self.beta1) * (g - m)
            v += (1 - self.beta2) * (g * g - v)
            layer.params[name] -= (lr_t * m / (np.sqrt(v) + self.eps)).astype(layer.params[name].dtype)
