"""Helpers for the CNN course notebooks: one module per concept, each named after it.

Modules are imported on demand (``from course_utils.conv import conv2d``), so importing the
package imports neither TensorFlow nor Keras. The notebook that teaches each module is in
brackets; every public function's docstring names its notebook too.

Setting up and loading
    * ``runtime`` - the set-up cell: seeds, quiet logs, device report, the fast/full profile,
      the Keras cache folder [00]
    * ``data`` - Fashion-MNIST, MNIST, flowers and sample photos through Keras' own downloads,
      offline-friendly; ``tf.data`` pipelines [00, 05]
    * ``checks`` - the argument checks every module shares (one way to say what was wrong),
      and the one padding parser [used everywhere]

Part I: convolution by hand, in NumPy
    * ``arithmetic`` - output sizes, padding, parameters, multiply-adds, memory, receptive
      fields [02, 04]; ``conv_geometry`` for the NumPy convolution [03]; stacked 3x3
      convolutions and per-layer costs of a model (``stacked_convs``, ``layer_costs``) [08];
      DenseNet's channel counts (``densenet_channels``) [10]; the convolution types side by
      side: depthwise, separable, grouped, dilated, transposed (``conv_type_costs``,
      ``transposed_output_size``) [11]
    * ``conv`` - the convolution the lessons teach, read top-down: naive loops, im2col/col2im,
      conv2d as one matrix product, its backward pass, correlate/convolve, pooling [01, 03]
    * ``conv_fast`` - the same functions on all CPU cores, tested equal to ``conv`` [03]
    * ``nn`` - a NumPy network: layers with forward/backward, Sequential, SGD, Adam [03]
    * ``gradcheck`` - numerical gradients and relative errors [03]
    * ``plotting`` - grids, feature maps, the sliding window animated, learning curves,
      confusion matrices [01-06]

Part II on: Keras
    * ``models`` - the course's own training CNNs (session-8 model, Hands-On ML model, BN CNN) [05, 06]
    * ``evaluation`` - accuracy, confusion matrix, confident errors, a results table [05, 06]
    * ``layers`` - Keras layers of our own: local response normalization (with its NumPy
      references), the inception module [07, 09]; residual and bottleneck units, DenseNet's
      dense and transition layers [10]; the squeeze-and-excitation block [11]; the only module
      that imports Keras on import
    * ``architectures`` - LeNet-5, AlexNet, VGG and GoogLeNet builders, to count and inspect [07-09];
      ResNet-34 and ResNet-50, He et al.'s small ResNets and their plain twins, DenseNet-121 and a
      small DenseNet [10], SE-ResNets (``cifar_resnet(se_ratio=...)``) [11]

The course itself
    * ``course`` - the course map, the sources and the Korean-English glossary [00]
    * ``colab`` - Colab badges and install lines from one place, releases [00; maintainers]

Part V: pretrained models
    * ``pretrained`` - keras.applications by name with the right input size and
      ``preprocess_input``, ``decode_predictions`` tables, depth / multiply-adds / measured speed
      of each model [12]; feature extractors for transfer learning [13]. ``data`` adds the
      stratified split and the image-file ``tf.data`` pipeline [13]

Part VI: looking inside, and beyond classification
    * ``explain`` - feature maps of any layer (Sequential, functional and nested models), the
      input gradient on the TensorFlow, JAX and PyTorch backends behind one function, saliency
      maps, Grad-CAM, occlusion maps, activation maximization [14]
    * ``boxes`` - boxes as (y1, x1, y2, x2): area, IoU, non-maximum suppression (the same
      indices as ``tf.image.non_max_suppression``), Faster R-CNN's anchors and box deltas
      (``encode`` / ``decode``), YOLO's grid cells (``yolo_assign``), Fast R-CNN's RoI pooling,
      drawing boxes [15]; ``data.segmentation_canvases`` (digits pasted on a canvas, a class per
      pixel, a box per digit) and ``evaluation.mask_iou`` (IoU of segmentation masks per class) [15]

Part VII: scaling up
    * no new module: notebook 16 times the course's own pieces (``data.image_file_dataset`` and
      ``data.make_dataset`` as input pipelines, ``models`` under ``jit_compile``, mixed precision
      and ``tf.distribute`` / ``keras.distribution``); ``runtime.setup(mixed_precision=True)`` turns
      mixed precision on where a GPU is found. ``tools/gpu_check.py`` and ``benchmarks/`` measure the
      same on any accelerator [16]
"""

__version__ = "0.1.0"
