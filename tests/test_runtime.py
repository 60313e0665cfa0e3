"""course_utils.runtime: profiles, seeding, the set-up report."""

import random

import numpy as np
import pytest

from course_utils import runtime
from course_utils.runtime import Profile, get_profile, seed_everything, setup


@pytest.mark.parametrize(("raw", "expected"), [("fast", Profile.FAST), ("FULL", Profile.FULL), (" fast ", Profile.FAST), ("", Profile.FULL)])
def test_get_profile_parses(raw, expected):
    assert get_profile(raw) is expected


def test_profile_from_environment(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert get_profile() is Profile.FAST
    monkeypatch.delenv("COURSE_PROFILE")
    assert get_profile() is Profile.FULL  # the default is what a student runs


def test_bad_profile_names_the_variable(monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "quick")
    with pytest.raises(ValueError, match=r"unknown course profile 'quick' \(from COURSE_PROFILE\); expected one of: fast, full"):
        get_profile()


def test_pick_and_str():
    assert Profile.FAST.pick(fast=1, full=10) == 1
    assert Profile.FULL.pick(fast=1, full=10) == 10
    assert str(Profile.FAST) == "fast" and Profile.FAST == "fast" and Profile.FAST.is_fast


def test_seed_everything_repeats_python_numpy_and_keras():
    import keras

    def draw():
        return random.random(), np.random.rand(), float(keras.random.uniform(()))  # noqa: NPY002

    seed_everything(7)
    first = draw()
    seed_everything(7)
    assert draw() == first
    seed_everything(8)
    assert draw() != first


@pytest.mark.parametrize("bad", [-1, 1.5, "3", True])
def test_seed_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="seed must be a non-negative integer"):
        seed_everything(bad)


def test_setup_reports_and_returns_the_profile(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    profile = setup(seed=3)
    out = capsys.readouterr().out
    assert profile is Profile.FAST
    for label in ("Python", "TensorFlow", "Keras", "backend: tensorflow", "Device", "Colab       no", "Profile     fast"):
        assert label in out, label
    info = runtime.runtime_info()
    assert info.profile is Profile.FAST and info.seed == 3 and info.colab is False
    assert info.device.kind in ("CPU", "GPU")


def test_setup_argument_overrides_environment_and_is_quiet(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_PROFILE", "fast")
    assert setup(profile="full", verbose=False) is Profile.FULL
    assert capsys.readouterr().out == ""


def test_mixed_precision_only_on_a_gpu():
    import keras

    setup(mixed_precision=True, verbose=False)
    info = runtime.runtime_info()
    expected = "mixed_float16" if info.device.kind == "GPU" else "float32"
    assert keras.mixed_precision.global_policy().name == expected
    setup(verbose=False)
    assert keras.mixed_precision.global_policy().name == "float32"


def test_in_colab_is_false_here():
    assert runtime.in_colab() is False


def test_mixed_precision_request_is_reported(capsys):
    setup(mixed_precision=True)
    out = capsys.readouterr().out
    if runtime.runtime_info().device.kind == "GPU":
        assert "Mixed precision is on" in out and "mixed_float16" in out
    else:
        assert "only pays off on a GPU: staying in float32" in out
    setup(verbose=False)
