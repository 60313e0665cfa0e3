"""Helpers for the CNN course notebooks.

Modules (imported on demand, so importing the package does not import TensorFlow):

* ``course_utils.runtime`` - notebook set-up: seeds, quiet logs, device report, profile.
* ``course_utils.data`` - Fashion-MNIST, MNIST, flowers and sample photos, offline-friendly.
* ``course_utils.colab`` - the course repository URL, Colab badges and install lines.
"""

__version__ = "0.1.0"
