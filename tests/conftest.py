"""Settings for the unit tests (the root conftest.py sets the profile and log level)."""

import os
from pathlib import Path

import matplotlib
import pytest
from hypothesis import HealthCheck, settings

matplotlib.use("Agg")  # no screen needed

ROOT = Path(__file__).resolve().parents[1]
SHARED_CACHE = ROOT.parent / "shared" / "data" / "keras"

# Property tests compare with TensorFlow, whose first calls are slow: no per-example deadline.
settings.register_profile(
    "course", deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "course"))


def _has(rel: str) -> bool:
    from course_utils.data import keras_home

    return (Path(keras_home()) / rel).exists()


@pytest.fixture(scope="session")
def cached_datasets():
    """Skip-free guard: the data tests need the Keras cache (CI seeds it; see .ci/run)."""
    from course_utils.data import KERAS_FILES

    missing = [rel for files in KERAS_FILES.values() for rel in files if not _has(rel)]
    if missing and SHARED_CACHE.is_dir():
        pytest.fail(
            f"the Keras cache lacks {missing}; run the tests through `bash .ci/run`, or export "
            f"KERAS_HOME=<a writable copy of {SHARED_CACHE}>"
        )
    return not missing


@pytest.fixture(scope="session")
def offline_env():
    """``offline_env(keras_home)``: this process' environment with KERAS_HOME set and no network, whatever
    machine runs the test (every download goes to a closed local port), for a test's Python subprocess."""

    def make(keras_home) -> dict:
        env = dict(os.environ, KERAS_HOME=str(keras_home))
        for var in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY"):
            env[var] = "http://127.0.0.1:9"
        for var in ("no_proxy", "NO_PROXY"):
            env.pop(var, None)
        return env

    return make
