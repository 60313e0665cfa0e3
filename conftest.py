"""pytest configuration shared by unit tests and notebook (nbval) tests.

Tests run in the fast profile unless COURSE_PROFILE says otherwise; nbval starts each notebook's
kernel with this process's environment, so the notebooks see the same settings.
"""

import os

os.environ.setdefault("COURSE_PROFILE", "fast")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")  # quiet debugpy warning in kernels

collect_ignore_glob = [".venv/*", "slides/_build/*", "**/.ipynb_checkpoints/*"]
