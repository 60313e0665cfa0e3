"""course_utils.pretrained: keras.applications by name, preprocessing, decoding, costs (notebooks 12 and 13).

The ImageNet weights come from the offline Keras cache (``../shared/data/keras``, copied by ``.ci/run``):
MobileNet alpha 0.25 with its top, MobileNetV2 alpha 0.35 without. Tests marked ``keras`` run on
TensorFlow and again on JAX.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from course_utils import arithmetic, pretrained
from course_utils.data import sample_image

CAT_CLASSES = {"tabby", "tiger_cat", "Persian_cat", "Siamese_cat", "Egyptian_cat", "lynx"}


def _needs(rel: str):
    path = os.path.join(pretrained.keras_home(), rel)
    if not os.path.exists(path):
        pytest.fail(f"the Keras cache lacks {rel}; run through `bash .ci/run` or point KERAS_HOME at the cache")


@pytest.fixture(scope="module")
def mobilenet():
    _needs("models/mobilenet_2_5_224_tf.h5")
    return pretrained.build("MobileNet-0.25")


@pytest.mark.keras
def test_cached_mobilenet_classifies_real_photos(mobilenet):
    photos = [sample_image("chelsea"), sample_image("coffee")]
    cat, coffee = (pretrained.classify(mobilenet, "MobileNet-0.25", p)[0] for p in photos)
    assert CAT_CLASSES & {label for _, label, _ in cat}, cat
    assert coffee[0][1] == "espresso" and coffee[0][2] > 0.5, coffee
    probs = [p for _, _, p in cat]
    assert probs == sorted(probs, reverse=True) and 0 < sum(probs) <= 1 + 1e-5


@pytest.mark.keras
def test_skipping_preprocess_input_breaks_the_prediction(mobilenet):
    raw = pretrained.prepare(sample_image("coffee"), "MobileNet-0.25", preprocess=False)
    good = pretrained.prepare(sample_image("coffee"), "MobileNet-0.25")
    np.testing.assert_allclose(good, raw / 127.5 - 1, atol=1e-5)  # MobileNet's "tf" mode
    wrong = pretrained.decode(mobilenet.predict(raw, verbose=0), 5)[0]
    assert "espresso" not in {label for _, label, _ in wrong[:1]}


def test_feature_extractor_from_the_cached_no_top_weights():
    _needs("models/mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_128_no_top.h5")
    base = pretrained.build("MobileNetV2-0.35-128", include_top=False, pooling="avg")
    assert base.output_shape == (None, 1280) and base.count_params() == 410_208
    feats = base.predict(pretrained.prepare(sample_image("flower"), "MobileNetV2-0.35-128"), verbose=0)
    assert feats.shape == (1, 1280) and feats.min() >= 0 and feats.std() > 0  # ReLU6 features, not constant


@pytest.mark.parametrize(
    ("module", "mode"), sorted({(a.module, pretrained.PREPROCESS_MODES[a.module]) for a in pretrained.APPLICATIONS.values()})
)
def test_preprocess_modes_are_what_the_table_says(module, mode):
    rgb = np.array([[[[0.0, 128.0, 255.0]]]], dtype=np.float32)
    out = getattr(keras.applications, module).preprocess_input(rgb.copy())
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    expected = {
        "tf": rgb / 127.5 - 1,
        "caffe": rgb[..., ::-1] - np.array([103.939, 116.779, 123.68]),
        "torch": (rgb / 255 - mean) / std,
        "none": rgb,
    }[mode]
    np.testing.assert_allclose(np.asarray(out), expected, rtol=1e-5, atol=1e-4)
    assert mode in pretrained.MODE_MEANING


def test_prepare_crops_resizes_and_checks_its_input():
    photo = sample_image("chelsea")  # (300, 451, 3) in [0, 1]
    x = pretrained.prepare(photo, "ResNet50", preprocess=False)
    assert x.shape == (1, 224, 224, 3) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 255
    as_uint8 = pretrained.prepare((photo * 255).round().astype(np.uint8), "ResNet50", preprocess=False)
    np.testing.assert_allclose(as_uint8, x, atol=1.0)
    assert pretrained.center_crop(np.zeros((2, 5, 9, 3))).shape == (2, 5, 5, 3)
    with pytest.raises(ValueError, match=r"float images must be in \[0, 1\].*divide by 255"):
        pretrained.prepare(photo * 255, "ResNet50")
    with pytest.raises(ValueError, match=r"\(H, W, 3\) or \(N, H, W, 3\) RGB, got shape \(28, 28\)"):
        pretrained.prepare(np.zeros((28, 28)), "ResNet50")
    with pytest.raises(ValueError, match="uint8 in \\[0, 255\\] or float"):
        pretrained.prepare(np.zeros((8, 8, 3), dtype=np.int64), "ResNet50")
    with pytest.raises(ValueError, match="different sizes must be prepared one by one"):
        pretrained.prepare([np.zeros((8, 8, 3)), np.zeros((9, 8, 3))], "ResNet50")
    with pytest.raises(ValueError, match="no photo at"):
        pretrained.load_photo("/no/such/photo.jpg")


def test_build_and_decode_reject_bad_arguments():
    with pytest.raises(ValueError, match="unknown application 'ResNet51'; expected one of: MobileNet-0.25"):
        pretrained.build("ResNet51")
    with pytest.raises(ValueError, match="weights must be 'imagenet' or None"):
        pretrained.build("ResNet50", weights="/tmp/w.h5")
    with pytest.raises(ValueError, match="pooling must be None, 'avg' or 'max'"):
        pretrained.build("ResNet50", pooling="mean")
    with pytest.raises(ValueError, match="takes 224x224 inputs, got input_size=160"):
        pretrained.build("MobileNet-0.25", input_size=160)
    with pytest.raises(ValueError, match="at least 32 pixels"):
        pretrained.build("MobileNet-0.25", weights=None, input_size=16)
    with pytest.raises(ValueError, match=r"\(N, 1000\) ImageNet scores, got shape \(2, 10\)"):
        pretrained.decode(np.zeros((2, 10)))
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        pretrained.inference_ms(keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)]), 0)


def test_depth_and_multiply_adds_of_known_networks():
    vgg = pretrained.build("VGG16", weights=None)
    assert pretrained.weight_depth(vgg) == 16
    assert pretrained.model_macs(vgg) == sum(c.macs for c in arithmetic.layer_costs(vgg)) == 15_470_264_320
    assert pretrained.weights_megabytes(vgg) == pytest.approx(vgg.count_params() * 4 / 1e6)
    resnet = pretrained.build("ResNet50", weights=None)
    assert pretrained.weight_depth(resnet) == 50  # the 4 projection shortcuts are side branches
    convnext = pretrained.build("ConvNeXtTiny", weights=None)
    # stem 1 + 18 blocks x (7x7 depthwise + 2 pointwise Dense) + 3 downsampling convolutions + the classifier;
    # its blocks add with a raw `x + y` op that is not in model.layers (the path must go through it)
    assert pretrained.weight_depth(convnext) == 1 + 18 * 3 + 3 + 1 == 59
    assert pretrained.model_macs(convnext) == 4_455_531_264  # the ConvNeXt paper: 4.5 G FLOPs (multiply-adds)


@pytest.mark.keras
def test_depth_and_multiply_adds_of_small_and_branching_models():
    mobile = pretrained.build("MobileNet-0.25", weights=None)
    assert pretrained.model_macs(mobile) == 41_030_272  # the MobileNet paper: 41 million (Table 6)
    # A branching model and a nested one, counted by hand.
    inp = keras.Input((8, 8, 3))
    a = keras.layers.Conv2D(4, 3, padding="same")(inp)  # 8*8*27*4 = 6,912
    b = keras.layers.DepthwiseConv2D(3, padding="same")(inp)  # 8*8*27 = 1,728
    c = keras.layers.SeparableConv2D(4, 3, strides=2, padding="same")(b)  # 4*4*(27 + 12) = 624
    c = keras.layers.Conv2D(4, 1)(c)  # 4*4*16 = 256
    d = keras.layers.Conv2D(4, 1, strides=2)(a)  # 4*4*16 = 256
    out = keras.layers.Dense(5)(keras.layers.Flatten()(keras.layers.Add()([c, d])))  # 64*5 = 320
    branchy = keras.Model(inp, out)
    assert pretrained.model_macs(branchy) == 6912 + 1728 + 624 + 256 + 256 + 320
    assert pretrained.weight_depth(branchy) == 4  # depthwise, separable, 1x1, dense (the other branch: 3)
    outer = keras.Sequential([keras.Input((8, 8, 3)), branchy, keras.layers.Dense(2)])
    assert pretrained.weight_depth(outer) == 5 and pretrained.model_macs(outer) == 10_096 + 10
    # A path through raw ops (``x + y``, not layers): depth counts the convolutions on both sides of them.
    x1 = keras.layers.Conv2D(3, 3, padding="same")(inp)
    x2 = keras.layers.Conv2D(3, 3, padding="same")(x1 + inp)
    chained = keras.Model(inp, keras.layers.Conv2D(3, 3, padding="same")(x2 + x1))
    assert pretrained.weight_depth(chained) == 3


def test_cost_table_measures_each_model():
    rows = pretrained.cost_table(["MobileNet-0.25", "MobileNetV2-0.35-128"], batch_sizes=(1, 4), repeats=1)
    assert [r.name for r in rows] == ["MobileNet-0.25", "MobileNetV2-0.35-128"]
    first = rows[0]
    assert (first.params, first.depth, first.input_size, first.top1) == (475_544, 28, 224, 50.6)
    assert all(r.ms_per_image[b] > 0 for r in rows for b in (1, 4))
    assert rows[1].macs < first.macs  # 128 pixels and alpha 0.35 vs 224 and 0.25
    with pytest.raises(ValueError, match="unknown application"):
        pretrained.cost_table(["MobileNet-0.25", "AlexNet"])


OFFLINE_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    from course_utils import pretrained
    from course_utils.data import DataUnavailableError
    for case in sys.argv[1:]:
        name, top = case.split(":")
        building = 0.0
        if name != "decode":  # what building the model costs without any download (slow on a busy CPU)
            start = time.perf_counter()
            pretrained.build(name, weights=None, include_top=top == "top")
            building = time.perf_counter() - start
        start = time.perf_counter()
        try:
            if name == "decode":
                pretrained.decode(np.full((1, 1000), 1e-3))
            else:
                pretrained.build(name, include_top=top == "top")
            result = {"case": case, "error": None}
        except DataUnavailableError as err:
            result = {"case": case, "error": str(err), "elapsed": time.perf_counter() - start - building}
        print("RESULT", json.dumps(result))
    """
)
OFFLINE_CASES = {
    "MobileNet:top": "models/mobilenet_1_0_224_tf.h5",  # small: the model is built before the download
    "MobileNet-0.25:notop": "models/mobilenet_2_5_224_tf_no_top.h5",
    "decode:": "models/imagenet_class_index.json",
}


@pytest.fixture(scope="module")
def offline_results(tmp_path_factory, offline_env):
    """All cases in one Python process without network or cache (one TensorFlow import, not three)."""
    env = offline_env(tmp_path_factory.mktemp("empty-keras-home"))
    proc = subprocess.run([sys.executable, "-c", OFFLINE_SCRIPT, *OFFLINE_CASES], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr  # no raw urllib traceback
    results = [json.loads(line.split(" ", 1)[1]) for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    return {r["case"]: r for r in results}


@pytest.mark.parametrize(("case", "missing"), OFFLINE_CASES.items())
def test_missing_weights_offline_fail_fast_and_name_the_file(case, missing, offline_results):
    result = offline_results[case]
    assert result["error"] is not None, f"{case} did not fail without the file"
    assert result["elapsed"] < 10, f"{case} took {result['elapsed']:.1f} s to give up"
    message = result["error"]
    assert repr(missing) in message and "How to provide it" in message and "KERAS_HOME" in message
