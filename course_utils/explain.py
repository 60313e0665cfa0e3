"""Looking inside a trained CNN: feature maps, saliency, Grad-CAM, occlusion, activation maximization (notebook 14).

The study notes end with the first layer's filters of AlexNet drawn as images (edges and
blobs) and with the idea that deeper layers respond to textures, parts and whole objects. This
module gives the tools to see that in any Keras CNN:

* :func:`feature_model`: a model that returns the activations (feature maps, 특징 맵) of named
  layers, for a Sequential or a functional model, nested models included.
* :func:`value_and_input_gradient` / :func:`input_gradient`: d(score)/d(input) on the
  TensorFlow, JAX and PyTorch backends behind one function; everything below uses it.
* :func:`saliency`: the vanilla gradient map of Simonyan et al. (2014).
* :func:`grad_cam` and :func:`last_conv_layer`: Grad-CAM of Selvaraju et al. (2017).
* :func:`occlusion_map`: the score drop under a sliding grey patch (Zeiler and Fergus, 2014),
  no gradients at all.
* :func:`maximize_activation`: gradient ascent on the input towards what one filter likes
  (Erhan et al. 2009; regularized as in Yosinski et al. 2015).

Why one gradient function: Keras 3 models run on several backends, and each backend has its own
automatic differentiation (``tf.GradientTape``, ``jax.grad``, ``torch.autograd``). The rest of
this module is written with ``keras.ops`` and does not care which one ran.

The explained models are Sequential or functional ones (their graph of layers is rebuilt to
reach inner activations), always called with ``training=False``: batch normalization uses its
moving statistics and dropout is off, so each image's score depends on that image alone and one
backward pass gives the gradients of a whole batch.

Keras is imported inside the functions, so importing this module stays cheap.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from course_utils.checks import (
    fraction,
    int_pair,
    is_int,
    non_negative_int,
    one_of,
    positive_int,
    positive_number,
)

__all__ = [
    "ActivationMaximization",
    "feature_model",
    "grad_cam",
    "input_gradient",
    "last_conv_layer",
    "layer_names",
    "maximize_activation",
    "occlusion_map",
    "saliency",
    "value_and_input_gradient",
]


# --- gradients, on every backend ---------------------------------------------------------------
def value_and_input_gradient(fn: Callable, x) -> tuple[np.ndarray, np.ndarray]:
    """``fn(x)`` and the gradient of ``sum(fn(x))`` with respect to ``x``, on the current Keras backend (notebook 14).

    ``fn`` takes a backend tensor shaped like ``x`` and returns a scalar or one score per sample
    (e.g. ``lambda t: model(t, training=False)[:, 3]``); ``x`` is an array of any shape,
    differentiated in float32. Returns NumPy arrays: the value ``fn(x)`` and the gradient, shaped
    like ``x``. When the samples of a batch do not interact (inference mode), the gradient of the
    sum is every sample's own gradient, so one backward pass serves the batch. Parts of ``x`` that
    ``fn`` ignores get a zero gradient.

    The backend is picked by ``keras.backend.backend()``:

    * TensorFlow: record ``fn`` on a ``tf.GradientTape`` that watches ``x``, ask it for the gradient;
    * JAX: ``jax.value_and_grad`` of the pure function ``x -> sum(fn(x))``. A Keras model called
      inside it reads its weights as constants, which is all that is needed in inference mode.
      (``training=True`` fails there: batch normalization assigns its moving statistics from
      inside the trace, a leaked tracer. ``model.stateless_call``, which returns the new state
      instead of assigning it, is the tool for that case; explanations never need it);
    * PyTorch: ``x`` becomes a leaf tensor with ``requires_grad``, ``torch.autograd.grad`` does the rest.
    """
    import keras

    x = np.asarray(x, dtype=np.float32)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        xt = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(xt)
            value = fn(xt)
            total = tf.reduce_sum(value)
        grad = tape.gradient(total, xt, unconnected_gradients=tf.UnconnectedGradients.ZERO)
    elif backend == "jax":
        import jax
        import jax.numpy as jnp

        def total_and_value(xj):
            value = fn(xj)
            return jnp.sum(value), value

        (_, value), grad = jax.value_and_grad(total_and_value, has_aux=True)(jnp.asarray(x))
    elif backend == "torch":
        import torch

        xt = keras.ops.convert_to_tensor(x).detach().clone().requires_grad_(True)
        value = fn(xt)
        total = value.sum()
        if total.requires_grad:
            (grad,) = torch.autograd.grad(total, xt, allow_unused=True)
        else:
            grad = None
        grad = torch.zeros_like(xt) if grad is None else grad
        value, grad = value.detach(), grad.detach()
    else:
        raise ValueError(f"Keras backend must be 'tensorflow', 'jax' or 'torch' for gradients, got {backend!r}")
    return np.asarray(keras.ops.convert_to_numpy(value)), np.asarray(keras.ops.convert_to_numpy(grad))


def input_gradient(fn: Callable, x) -> np.ndarray:
    """The gradient of ``sum(fn(x))`` with respect to ``x`` (see :func:`value_and_input_gradient`) (notebook 14)."""
    return value_and_input_gradient(fn, x)[1]


# --- layers and sub-models ----------------------------------------------------------------------
def _check_model(model):
    """A Sequential or functional Keras model: the two kinds whose graph of layers can be rebuilt."""
    import keras

    if not isinstance(model, keras.Model):
        raise ValueError(f"model must be a Keras model (Sequential or functional), got {type(model).__name__}")
    if not (isinstance(model, keras.Sequential) or hasattr(model, "_run_through_graph")):
        raise ValueError(
            f"model {model.name!r} is a subclassed model ({type(model).__name__}): it has no graph of layers "
            "to read activations from; write it as a Sequential or functional model"
        )


def _walk(model):
    """Every layer of ``model`` in order, the layers of nested models right after the model itself."""
    import keras

    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _walk(layer)


def layer_names(model) -> list[str]:
    """The names of ``model``'s layers in order, nested models' layers included (notebook 14).

    These are the names :func:`feature_model`, :func:`grad_cam` and :func:`maximize_activation`
    accept. Input layers are left out.
    """
    import keras

    _check_model(model)
    return [layer.name for layer in _walk(model) if not isinstance(layer, keras.layers.InputLayer)]


def _check_names(model, names: Sequence[str]) -> None:
    known = layer_names(model)
    for name in names:
        if not isinstance(name, str):
            raise ValueError(f"layer names must be strings, got {name!r}")
        count = known.count(name)
        if count == 0:
            raise ValueError(f"model {model.name!r} has no layer named {name!r}; expected one of: {', '.join(known)}")
        if count > 1:
            raise ValueError(
                f"model {model.name!r} has {count} layers named {name!r} (in nested models); "
                "give the nested model's layers unique names"
            )


def _input_shape(model) -> tuple:
    """``(H, W, C)`` of the model's one input, from ``model.inputs`` (``model.input`` fails on a Sequential)."""
    try:
        inputs = model.inputs
    except (AttributeError, ValueError):
        inputs = None
    if not inputs:
        raise ValueError(
            f"model {model.name!r} has not been built, so it has no input shape yet; start it with "
            "keras.Input(shape=...), call model.build((None, H, W, C)) or call it on a batch first"
        )
    if len(inputs) != 1:
        raise ValueError(f"model must have one input (images), got {len(inputs)} inputs")
    return tuple(inputs[0].shape[1:])


def _contains(model, names) -> bool:
    return any(layer.name in names for layer in _walk(model))


def _rebuild(model, x, watch: dict):
    """Call ``model``'s layers again, one by one, on the symbolic tensor ``x`` and return the output.

    ``watch`` maps layer names to ``f(layer, layer_input, layer_output) -> new_output``, called
    after the layer: to record an activation (return it unchanged) or to change it. The layers
    are the model's own (shared weights); only the graph is new. A Sequential model is a list of
    layers called in turn; a functional one is a graph, replayed node by node by Keras' own graph
    runner (``_run_through_graph``, what ``model(x)`` and ``keras.models.clone_model`` use), with
    each node's operation wrapped to do the watching. Nested models that hold watched layers are
    rebuilt the same way. (``clone_model(..., call_function=...)`` does the same walk but then
    insists that the outputs depend on ``x`` alone, which Grad-CAM's extra input breaks.)
    """
    import keras

    def call(layer, *args, **kwargs):
        if isinstance(layer, keras.Model) and _contains(layer, watch):
            if len(args) != 1:
                raise ValueError(f"nested model {layer.name!r} must take one input, got {len(args)}")
            out = _rebuild(layer, args[0], watch)
        else:
            out = layer(*args, **kwargs)
        name = getattr(layer, "name", None)
        return watch[name](layer, args[0] if args else None, out) if name in watch else out

    if isinstance(model, keras.Sequential):
        for layer in model.layers:
            if not isinstance(layer, keras.layers.InputLayer):
                x = call(layer, x)
        return x
    outputs = model._run_through_graph([x], operation_fn=lambda op: partial(call, op))
    outputs = list(outputs) if isinstance(outputs, list | tuple) else [outputs]
    if len(outputs) != 1:
        raise ValueError(f"model {model.name!r} must have one output, got {len(outputs)}")
    return outputs[0]


def feature_model(model, layer_names):
    """A functional model ``images -> activations`` of the named layers, sharing ``model``'s weights (notebook 14).

    ``layer_names``: one name (the new model returns one array) or a list (it returns a list);
    layers of nested models (a ``keras.applications`` base inside a Sequential) may be named
    too. Works for functional models and for Sequential ones however they were built.

    Why not ``keras.Model(model.input, model.get_layer(name).output)``: in Keras 3 ``model.input``
    and ``model.output`` raise on every Sequential model (only ``model.inputs`` exists, once it is
    built), and a nested model's layers belong to the nested graph, so the outer graph cannot reach
    them. Instead the graph is rebuilt from a fresh ``keras.Input`` through the model's own layers,
    and the named layers' outputs of that new graph become the outputs.
    """
    import keras

    _check_model(model)
    single = isinstance(layer_names, str)
    names = [layer_names] if single else list(layer_names)
    if not names:
        raise ValueError("layer_names is empty; expected a layer name or a list of them")
    _check_names(model, names)
    inputs = keras.Input(_input_shape(model))
    found = {}

    def record(layer, layer_input, out):
        found[layer.name] = out
        return out

    _rebuild(model, inputs, {name: record for name in names})
    outputs = [found[name] for name in names]
    return keras.Model(inputs, outputs[0] if single else outputs, name=f"{model.name}_features")


def _activation_shapes(model) -> dict:
    """Symbolic output shape of every layer, from one rebuilt graph (no layer.output needed)."""
    import keras

    shapes = {}

    def record(layer, layer_input, out):
        shapes[layer.name] = tuple(out.shape)
        return out

    _rebuild(model, keras.Input(_input_shape(model)), {name: record for name in layer_names(model)})
    return shapes


# Layers that pass a 4-D map through without new features: Grad-CAM looks past them.
_NOT_FEATURES = ("Pooling", "Dropout", "InputLayer", "ZeroPadding", "Cropping", "UpSampling", "Reshape")


def last_conv_layer(model) -> str:
    """The name of the last layer with a 4-D output ``(N, H, W, C)`` that computes features (notebook 14).

    The layer Grad-CAM uses by default: the deepest feature maps that still have a spatial
    layout. Pooling, dropout, padding and reshaping layers are skipped (they only resample or
    copy what the layer before them computed), so in ``Conv2D -> MaxPooling2D -> Flatten`` it is
    the convolution (or its activation layer, when that is a separate layer: ``ReLU``, ``Activation``,
    ``BatchNormalization``...). Maps of 1x1 pixels are skipped too: after global pooling (the
    1x1 convolution that classifies in ``keras.applications.MobileNet``) there is nothing left to
    localize. Nested models are searched too.
    """
    import keras

    _check_model(model)
    shapes = _activation_shapes(model)
    for layer in reversed(list(_walk(model))):
        if isinstance(layer, keras.Model) or any(part in type(layer).__name__ for part in _NOT_FEATURES):
            continue
        shape = shapes.get(layer.name, ())
        if len(shape) == 4 and tuple(shape[1:3]) != (1, 1):  # 1x1 maps (after global pooling) have no layout
            return layer.name
    raise ValueError(
        f"model {model.name!r} has no layer with a 4-D output (N, H, W, C); Grad-CAM needs a convolutional layer"
    )


# --- class scores -------------------------------------------------------------------------------
def _is_softmax(layer) -> bool:
    import keras

    if isinstance(layer, keras.layers.Softmax):
        return True
    return getattr(getattr(layer, "activation", None), "__name__", None) == "softmax"


def _final_layer(model):
    import keras

    layer = model.layers[-1]
    return _final_layer(layer) if isinstance(layer, keras.Model) else layer


def _logits(layer, layer_input, out):
    """The final layer's output without its softmax: the class scores (logits) the softmax turns into probabilities."""
    import keras

    if isinstance(layer, keras.layers.Softmax) or isinstance(layer, keras.layers.Activation):
        return layer_input  # the softmax is a layer of its own: its input are the logits
    # Dense or Conv2D with activation="softmax": a twin with a linear activation and the same weights
    config = dict(layer.get_config(), activation="linear", name=f"{layer.name}_logits")
    twin = type(layer).from_config(config)
    logits = twin(layer_input)
    twin.set_weights(layer.get_weights())
    return logits


def _scores_model(model, *, logits: bool, layer_name: str | None = None):
    """``images -> scores (N, K)``, or with ``layer_name``: ``[images, delta] -> [A + delta, scores]``.

    ``A`` is that layer's activation; ``delta`` (zeros) is added to it inside the graph, so the
    gradient of a score with respect to ``delta`` is its gradient with respect to ``A`` - in any
    graph, also where other branches bypass the layer.
    """
    import keras

    _check_model(model)
    shape = _input_shape(model)
    final = _final_layer(model)
    strip = logits and _is_softmax(final)
    watch = {final.name: _logits} if strip else {}
    images = keras.Input(shape)
    found = {}
    if layer_name is not None:
        _check_names(model, [layer_name])
        previous = watch.get(layer_name)

        def nudge(layer, layer_input, out):
            if previous is not None:
                out = previous(layer, layer_input, out)
            if len(out.shape) != 4:
                raise ValueError(
                    f"grad_cam needs a layer with a 4-D output (N, H, W, C), such as a convolution; layer "
                    f"{layer_name!r} outputs shape {tuple(out.shape)}; the last such layer of this model is "
                    f"{last_conv_layer(model)!r}"
                )
            found["delta"] = keras.Input(tuple(out.shape[1:]))
            found["a"] = out + found["delta"]
            return found["a"]

        watch[layer_name] = nudge
    scores = _rebuild(model, images, watch)
    if len(scores.shape) != 2:
        raise ValueError(f"model must output class scores (N, classes), got output shape {tuple(scores.shape)}")
    if layer_name is None:
        return keras.Model(images, scores, name=f"{model.name}_scores"), strip
    return keras.Model([images, found["delta"]], [found["a"], scores], name=f"{model.name}_scores"), strip


def _images(x, model) -> tuple[np.ndarray, bool]:
    """``x`` as a float32 batch (N, H, W, C) and whether it was one image (H, W, C)."""
    x = np.asarray(x, dtype=np.float32)
    if x.ndim not in (3, 4):
        raise ValueError(f"x must be one image (H, W, C) or a batch (N, H, W, C), got shape {x.shape}")
    single = x.ndim == 3
    batch = x[np.newaxis] if single else x
    if min(batch.shape) < 1:
        raise ValueError(f"x must not be empty, got shape {x.shape}")
    if not np.all(np.isfinite(batch)):
        raise ValueError("x contains NaN or infinite values")
    expected = _input_shape(model)
    if len(expected) != 3:
        raise ValueError(f"model {model.name!r} must take images (H, W, C), its input shape is {expected}")
    if any(e is not None and e != g for e, g in zip(expected, batch.shape[1:], strict=True)):
        raise ValueError(f"model {model.name!r} takes images of shape {expected}, got x of shape {x.shape}")
    return batch, single


def _class_indices(class_index, n: int, num_classes: int, predicted) -> np.ndarray:
    """One class per image: an int for all, a sequence of N ints, or None for the predicted class."""
    if class_index is None:
        return np.asarray(predicted(), dtype=np.int64)
    indices = [class_index] * n if is_int(class_index) else class_index
    if not isinstance(indices, Sequence | np.ndarray) or len(indices) != n:
        raise ValueError(
            f"class_index must be an integer, None (the predicted class) or one integer per image ({n}), "
            f"got {class_index!r}"
        )
    for k in indices:
        if not is_int(k) or not 0 <= k < num_classes:
            raise ValueError(
                f"class_index must be an integer in [0, {num_classes}) (the model has {num_classes} classes), "
                f"got {k!r}"
            )
    return np.asarray(indices, dtype=np.int64)


def _one_hot(indices: np.ndarray, num_classes: int) -> np.ndarray:
    return np.eye(num_classes, dtype=np.float32)[indices]


# --- saliency --------------------------------------------------------------------------------
def saliency(model, x, class_index=None, *, logits: bool = True) -> np.ndarray:
    """Vanilla gradient saliency map: ``max over channels |d score / d pixel|`` (Simonyan et al. 2014) (notebook 14).

    ``x``: one image ``(H, W, C)`` or a batch ``(N, H, W, C)``, preprocessed as the model expects.
    ``class_index``: the class to explain, one for all images, one per image, or ``None`` for
    each image's predicted class. Returns ``(H, W)`` or ``(N, H, W)``, not normalized: the
    magnitudes themselves are worth comparing (below).

    ``logits=True`` (the default, as in the paper) differentiates the class score *before* the
    softmax when the model ends in one: a ``Softmax``/``Activation("softmax")`` layer is skipped,
    a ``Dense(..., activation="softmax")`` is replaced by a twin with the same weights and no
    activation. Why: ``p_k = softmax(z)_k`` has ``dp_k/dz_j = p_k (δ_kj - p_j)``, which is close to
    0 for every j once the network is sure (``p_k ≈ 1``): the gradient of a saturated softmax is
    tiny, and it also mixes in the other classes' evidence. ``logits=False`` takes the model's
    output as it is (the probability), to show that effect. Models without a final softmax are
    explained through their output either way.
    """
    import keras

    scores_model, _ = _scores_model(model, logits=logits)
    batch, single = _images(x, model)
    scores = np.asarray(keras.ops.convert_to_numpy(scores_model(batch, training=False)))
    num_classes = scores.shape[1]
    indices = _class_indices(class_index, len(batch), num_classes, lambda: scores.argmax(axis=1))
    mask = _one_hot(indices, num_classes)

    def score(t):
        return keras.ops.sum(scores_model(t, training=False) * mask, axis=1)

    grads = input_gradient(score, batch)
    maps = np.asarray(keras.ops.convert_to_numpy(keras.ops.max(keras.ops.abs(grads), axis=-1)))
    return maps[0] if single else maps


# --- Grad-CAM --------------------------------------------------------------------------------
def grad_cam(model, x, class_index=None, layer_name: str | None = None, *, logits: bool = True,
             upsample: bool = True) -> np.ndarray:
    """Grad-CAM heat map of where the evidence for a class lies (Selvaraju et al. 2017) (notebook 14).

    With ``A`` the activation of convolutional layer ``layer_name`` (default:
    :func:`last_conv_layer`), ``(N, h, w, K)``, and ``y`` the class score:

    1. ``g = dy/dA``, the gradient at every position and channel;
    2. ``alpha_k = mean over (h, w) of g[..., k]``: how much channel k matters for the class
       (global average pooling of the gradient);
    3. ``cam = ReLU(sum_k alpha_k A[..., k])``: the channels weighted and summed; the ReLU keeps
       what speaks *for* the class;
    4. upsampled (bilinear, ``keras.ops.image.resize``) from ``(h, w)`` to the input's ``(H, W)``
       (``upsample=False`` keeps ``(h, w)``) and divided by its maximum, so it lies in [0, 1]
       (an all-zero map: nothing at that layer speaks for the class).

    ``x``, ``class_index`` and ``logits`` as in :func:`saliency` (the paper uses the score before
    the softmax, the default here). Returns ``(H, W)`` for one image, ``(N, H, W)`` for a batch.
    Works on a layer of a nested model too (a ``keras.applications`` base inside a Sequential).
    """
    import keras

    ops = keras.ops
    _check_model(model)
    layer_name = last_conv_layer(model) if layer_name is None else layer_name
    batch, single = _images(x, model)
    cam_model, _ = _scores_model(model, logits=logits, layer_name=layer_name)
    zeros = np.zeros((len(batch), *cam_model.inputs[1].shape[1:]), dtype=np.float32)
    activations, scores = (np.asarray(ops.convert_to_numpy(t)) for t in cam_model([batch, zeros], training=False))
    num_classes = scores.shape[1]
    indices = _class_indices(class_index, len(batch), num_classes, lambda: scores.argmax(axis=1))
    mask = _one_hot(indices, num_classes)

    images = ops.convert_to_tensor(batch)  # Keras will not mix a NumPy array and a tensor in one call

    def score(delta):
        return ops.sum(cam_model([images, delta], training=False)[1] * mask, axis=1)

    grads = input_gradient(score, zeros)  # d score / d delta = d score / dA
    weights = ops.mean(grads, axis=(1, 2))  # (N, K)
    cam = ops.relu(ops.einsum("nhwk,nk->nhw", activations, weights))
    if upsample:
        cam = ops.image.resize(cam[..., None], batch.shape[1:3], interpolation="bilinear")[..., 0]
        cam = ops.relu(cam)  # bilinear weights are positive; this only removes rounding below 0
    top = ops.max(cam, axis=(1, 2), keepdims=True)
    cam = ops.where(top > 0, cam / ops.maximum(top, 1e-12), 0.0)
    cam = np.asarray(ops.convert_to_numpy(cam), dtype=np.float32)
    return cam[0] if single else cam


# --- occlusion -------------------------------------------------------------------------------
def _positions(size: int, patch: int, stride: int) -> list[int]:
    """Patch corners 0, stride, 2 stride, ... plus one flush with the far edge, so every pixel is covered."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return starts


def occlusion_map(predict_fn_or_model, image, class_index=None, *, patch=8, stride=4, fill="mean",
                  resolution: str = "input", batch_size: int = 64) -> np.ndarray:
    """How much the class score drops when a patch of the image is hidden (Zeiler and Fergus 2014) (notebook 14).

    A ``patch`` (an int or ``(height, width)``) of ``fill`` slides over ``image`` ``(H, W, C)`` with
    ``stride``; every occluded copy is scored (``batch_size`` copies per call, no gradients), and
    the map records ``score(image) - score(occluded)``: positive where hiding the patch hurts the
    class, negative where it helps. The last patch of each row and column is placed flush with the
    image's edge, so with ``stride <= patch`` every pixel is hidden at least once.

    ``predict_fn_or_model``: a Keras model (called with ``training=False``) or any function
    ``(B, H, W, C) -> (B, classes)`` scores; the drop is measured in what it returns
    (probabilities for a softmax model, as Zeiler and Fergus plotted). ``class_index``: an int or
    ``None`` for the predicted class. ``fill``: ``"mean"`` (each channel's mean over the image, a
    grey of the image's own range, whatever the preprocessing), a number, or one per channel.

    ``resolution="input"`` returns ``(H, W)``: each pixel gets the mean drop over the patches that
    covered it (a smoothed map, ready to lay over the image). ``resolution="grid"`` returns one
    value per patch position, ``(rows, columns)``: row i is the patch whose top edge is at
    ``i * stride`` (the last one flush with the bottom edge).
    """
    import keras

    image = np.asarray(image, dtype=np.float32)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.ndim != 3 or min(image.shape) < 1:
        raise ValueError(f"image must be one image (H, W, C) (or a batch of one), got shape {image.shape}")
    h, w, c = image.shape
    ph, pw = int_pair("patch", patch)
    sh, sw = int_pair("stride", stride)
    positive_int("batch_size", batch_size)
    one_of("resolution", resolution, ("input", "grid"))
    if ph > h or pw > w:
        raise ValueError(f"patch ({ph}, {pw}) is larger than the image ({h}, {w}); expected at most the image size")
    if resolution == "input" and (sh > ph or sw > pw):
        raise ValueError(
            f"stride ({sh}, {sw}) is larger than patch ({ph}, {pw}): some pixels would never be hidden; "
            "expected stride <= patch for resolution='input' (or use resolution='grid')"
        )
    if isinstance(fill, str):
        one_of("fill", fill, ("mean",))
        value = image.mean(axis=(0, 1))
    else:
        value = np.asarray(fill, dtype=np.float32)
        if value.shape not in ((), (c,)) or not np.all(np.isfinite(value)):
            raise ValueError(f"fill must be 'mean', a number or one number per channel ({c}), got {fill!r}")

    if isinstance(predict_fn_or_model, keras.Model):
        model = predict_fn_or_model
        _images(image, model)  # checks the shape against the model's input

        def predict(b):
            return model(b, training=False)
    elif callable(predict_fn_or_model):
        predict = predict_fn_or_model
    else:
        raise ValueError(f"predict_fn_or_model must be a Keras model or a function, got {type(predict_fn_or_model).__name__}")

    def scores_of(b):
        s = np.asarray(keras.ops.convert_to_numpy(predict(b)))
        if s.ndim != 2 or s.shape[0] != len(b):
            raise ValueError(f"predictions must be (batch, classes) = ({len(b)}, K), got shape {s.shape}")
        return s

    base = scores_of(image[np.newaxis])[0]
    k = int(_class_indices(class_index, 1, len(base), lambda: [base.argmax()])[0])
    rows, cols = _positions(h, ph, sh), _positions(w, pw, sw)
    corners = [(r, q) for r in rows for q in cols]
    drops = np.empty(len(corners), dtype=np.float64)
    for start in range(0, len(corners), batch_size):
        chunk = corners[start:start + batch_size]
        occluded = np.repeat(image[np.newaxis], len(chunk), axis=0)
        for i, (r, q) in enumerate(chunk):
            occluded[i, r:r + ph, q:q + pw] = value
        drops[start:start + len(chunk)] = base[k] - scores_of(occluded)[:, k]
    grid = drops.reshape(len(rows), len(cols))
    if resolution == "grid":
        return grid.astype(np.float32)
    total, count = np.zeros((h, w)), np.zeros((h, w))
    for (r, q), d in zip(corners, drops, strict=True):
        total[r:r + ph, q:q + pw] += d
        count[r:r + ph, q:q + pw] += 1
    return (total / count).astype(np.float32)


# --- activation maximization -------------------------------------------------------------------
@dataclass(frozen=True)
class ActivationMaximization:
    """What :func:`maximize_activation` returns: the ``image`` ``(H, W, C)`` it found and the
    objective (the filter's mean activation) before every step and after the last, ``history``."""

    image: np.ndarray
    history: np.ndarray

    @property
    def gain(self) -> float:
        """Final minus initial activation."""
        return float(self.history[-1] - self.history[0])


def _gaussian_blur(x: np.ndarray, sigma: float) -> np.ndarray:
    """Blur ``x: (N, H, W, C)`` over H and W with a Gaussian of ``sigma`` pixels (separable, edges reflected)."""
    radius = max(1, math.ceil(2 * sigma))
    taps = np.exp(-0.5 * (np.arange(-radius, radius + 1) / sigma) ** 2)
    taps /= taps.sum()
    for axis in (1, 2):
        pad = [(0, 0)] * 4
        pad[axis] = (radius, radius)
        padded = np.pad(x, pad, mode="reflect" if x.shape[axis] > radius else "edge")
        n = x.shape[axis]
        x = sum(t * np.take(padded, np.arange(i, i + n), axis=axis) for i, t in enumerate(taps))
    return x.astype(np.float32)


def maximize_activation(model, layer_name: str, filter_index: int, *, steps: int = 40, lr: float = 0.05,
                        size: int | tuple[int, int] | None = None, seed: int = 0, value_range=(0.0, 1.0),
                        jitter: int = 0, blur: float = 0.0) -> ActivationMaximization:
    """An input image that makes one filter fire: gradient ascent from noise (notebook 14).

    The objective is the mean activation of channel ``filter_index`` of layer ``layer_name`` over
    the whole map (for a Dense layer: unit ``filter_index``). Starting from faint noise around the
    middle of ``value_range`` (seeded by ``seed``), every one of ``steps`` steps

    1. shifts the image by a random offset of up to ``jitter`` pixels (and back afterwards), so
       that the result does not depend on exact pixel positions;
    2. takes the gradient of the objective with respect to the image (:func:`input_gradient`) and
       divides it by its root mean square, so that ``lr`` is the typical change of a pixel per step,
       as a fraction of ``value_range`` whatever the gradient's scale;
    3. steps uphill, optionally blurs with a Gaussian of ``blur`` pixels (a prior for smooth
       images, as Yosinski et al. 2015 do), and clips to ``value_range``.

    ``size``: the image's ``(H, W)``; by default the model's input size, which a model with a
    fixed input size requires. ``value_range``: the model's input range, e.g. ``(0, 1)`` for the
    course's CNNs, ``(-1, 1)`` after MobileNet's ``preprocess_input``. Sized for seconds on a
    small model: 40 steps of one image.
    """
    import keras

    _check_model(model)
    steps = positive_int("steps", steps)
    jitter = non_negative_int("jitter", jitter)
    lr = positive_number("lr", lr)
    blur = fraction("blur (a Gaussian's sigma in pixels)", blur, low=0.0, high=math.inf)
    try:
        low, high = (float(v) for v in value_range)
        if not -math.inf < low < high < math.inf:
            raise ValueError
    except (TypeError, ValueError):
        raise ValueError(f"value_range must be (low, high), two numbers with low < high, got {value_range!r}") from None
    shape = _input_shape(model)
    fixed = tuple(shape[:2])
    if size is None:
        if None in fixed:
            raise ValueError(f"model {model.name!r} takes images of any size {shape}; give size=(H, W)")
        size = fixed
    size = int_pair("size", size)
    if any(f is not None and f != s for f, s in zip(fixed, size, strict=True)):
        raise ValueError(f"model {model.name!r} takes {fixed[0]}x{fixed[1]} images, got size={size}")

    features = feature_model(model, layer_name)
    out_shape = tuple(features.outputs[0].shape)
    if len(out_shape) not in (2, 4):
        raise ValueError(
            f"layer {layer_name!r} outputs shape {out_shape}; expected (N, H, W, C) feature maps or (N, units)"
        )
    channels = out_shape[-1]
    if not is_int(filter_index) or not 0 <= filter_index < channels:
        raise ValueError(
            f"filter_index must be an integer in [0, {channels}) (layer {layer_name!r} has {channels} "
            f"{'filters' if len(out_shape) == 4 else 'units'}), got {filter_index!r}"
        )
    spatial = tuple(range(1, len(out_shape) - 1))

    def objective(t):
        a = features(t, training=False)[..., filter_index]
        return keras.ops.mean(a, axis=spatial) if spatial else a

    rng = np.random.default_rng(seed)
    middle, spread = (low + high) / 2, (high - low) * 0.05
    image = (middle + rng.uniform(-spread, spread, size=(1, *size, shape[2]))).astype(np.float32)
    history = []
    for _ in range(steps):
        dy, dx = rng.integers(-jitter, jitter + 1, size=2) if jitter else (0, 0)
        value, grad = value_and_input_gradient(objective, np.roll(image, (dy, dx), axis=(1, 2)))
        grad = np.roll(grad, (-dy, -dx), axis=(1, 2))
        history.append(float(value[0]))
        image = image + lr * (high - low) * grad / (np.sqrt(np.mean(grad**2)) + 1e-8)
        if blur > 0:
            image = _gaussian_blur(image, blur)
        image = np.clip(image, low, high).astype(np.float32)
    history.append(float(np.asarray(keras.ops.convert_to_numpy(objective(image)))[0]))
    return ActivationMaximization(image=image[0], history=np.asarray(history, dtype=np.float32))
