"""The course map, its sources and the Korean-English glossary, as data (shown in notebook 00).

Notebook 00 and the README render these tables; tests check that every notebook under
``notebooks/`` is listed here and that every listed notebook that exists is in order.
"""

from __future__ import annotations

from dataclasses import dataclass

# The sources the course is built from, by the short name the course map uses (README: "Sources").
SOURCES: dict[str, tuple[str, str]] = {
    "HOML": ("Hands-On ML ch. 14",
             "Aurélien Géron, *Hands-On Machine Learning with Scikit-Learn, Keras and TensorFlow*, "
             "ch. 14 (Deep computer vision using CNNs), and the study group's notes on it"),
    "S8": ("session-8 slides",
           "the study group's session-8 slides on convolutional networks: worked 4x4 * 3x3 convolutions, "
           "padding, pooling, batch norm, dropout, ensembles, optimizers, a Keras Sequential model"),
    "LN": ("lecture notes",
           "lecture and peer-session notes: convolution arithmetic, parameter counts, AlexNet to DenseNet, "
           "FCN, detection, convolution types"),
    "DLFS": ("Deep Learning from Scratch ch. 7",
             "Koki Saito, *Deep Learning from Scratch*, ch. 7 (convolutional neural networks): im2col, "
             "convolution and pooling layers with their backward passes"),
}


@dataclass(frozen=True)
class Lesson:
    stem: str  # file name without .ipynb
    part: str
    title: str
    summary: str
    sources: tuple[str, ...]  # keys of SOURCES: where the lesson's material comes from


LESSONS: tuple[Lesson, ...] = (
    Lesson("00_start_here", "0", "Start here",
           "How the course works: map, profiles, local / conda / Colab / GPU set-up, environment check, glossary.", ()),
    Lesson("01_convolution_by_hand", "I", "Convolution by hand",
           "Why not fully connected; convolution as a sliding dot product in numpy; cross-correlation; filters on a photo.",
           ("HOML", "S8", "DLFS")),
    Lesson("02_padding_and_stride", "I", "Padding and stride",
           "Output-size formula, zero padding, VALID / SAME, stride, dilation, an interactive size explorer.",
           ("HOML", "S8", "LN", "DLFS")),
    Lesson("03_im2col_and_pooling", "I", "im2col and pooling",
           "Convolution as one matrix product, backpropagation, pooling, gradient checks, a numpy convnet.", ("S8", "DLFS")),
    Lesson("04_parameters_and_memory", "I", "Parameters and memory",
           "Counting parameters, multiplications and activation memory; 1x1 bottlenecks; receptive fields.",
           ("HOML", "S8", "LN")),
    Lesson("05_keras_sequential_cnn", "II", "CNNs in Keras",
           "Sequential CNNs on Fashion-MNIST and MNIST: train, evaluate, inspect mistakes, save and reload.",
           ("HOML", "S8")),
    Lesson("06_training_better", "II", "Training better",
           "Batch norm, dropout, augmentation, ensembles, optimizers, schedules, callbacks, cross-validation.",
           ("HOML", "S8", "LN")),
    Lesson("07_lenet_alexnet_lrn", "III", "LeNet, AlexNet and LRN",
           "LeNet-5, AlexNet's ideas, local response normalization from its formula.", ("HOML", "LN")),
    Lesson("08_vgg_and_receptive_fields", "III", "VGG and receptive fields",
           "Stacks of 3x3 convolutions, receptive-field arithmetic, VGG16/19 parameter counts.", ("LN", "HOML")),
    Lesson("09_inception_and_1x1", "III", "Inception and 1x1 convolutions",
           "1x1 bottlenecks, the inception module, a small GoogLeNet, checking the lecture notes' parameter quiz.",
           ("HOML", "LN")),
    Lesson("10_residual_units_resnet", "IV", "Residual units and ResNet",
           "Skip connections, the degradation problem, ResNet-34, bottlenecks, DenseNet blocks, ResNet-20 to 94% on Fashion-MNIST.", ("LN", "HOML")),
    Lesson("11_xception_senet_and_conv_types", "IV", "Xception, SENet and convolution types",
           "Depthwise separable convolution, SE blocks, dilated / transposed / grouped convolutions.", ("LN", "HOML")),
    Lesson("12_pretrained_models", "V", "Pretrained models",
           "keras.applications on real photos: preprocess_input, predict, decode; parameters, multiply-adds and speed of 12 models.", ("HOML",)),
    Lesson("13_transfer_learning", "V", "Transfer learning",
           "Flowers: a tf.data pipeline, feature extraction, frozen base + new head, fine-tuning with BN frozen; scratch vs pretrained, cross-validated photo by photo.",
           ("HOML",)),
    Lesson("14_visualizing_cnns", "VI", "Looking inside CNNs",
           "First-layer filters, feature maps with receptive fields, saliency, Grad-CAM and occlusion checked on a planted cue, activation maximization.",
           ("DLFS",)),
    Lesson("15_beyond_classification", "VI", "Beyond classification",
           "FCN rewrite of a Dense head, transposed convolution, a U-Net on digit canvases, R-CNN to YOLO, IoU and NMS.",
           ("LN",)),
    Lesson("16_scaling_up", "VII", "Scaling up",
           "Where a training step's time goes, tf.data, XLA, batch size, mixed precision and loss scaling, "
           "MirroredStrategy and DataParallel on two devices, BackupAndRestore.", ()),
)  # fmt: skip


# (Korean, English, short meaning). The study group's terms; notebooks use the English word
# with the Korean one beside it on first use.
GLOSSARY: tuple[tuple[str, str, str], ...] = (
    ("합성곱", "convolution", "sliding a small filter over the input and taking dot products"),
    ("교차 상관", "cross-correlation", "what deep-learning libraries call convolution (filter not flipped)"),
    ("합성곱 신경망", "convolutional neural network (CNN)", "a network built mainly from convolution layers"),
    ("합성곱 층", "convolutional layer", "a layer of filters applied at every position of its input"),
    ("필터 / 커널", "filter / kernel", "the small weight array a convolution slides over the input"),
    ("특성 맵", "feature map", "the output of one filter over the whole input"),
    ("편향", "bias", "a learned number added to every output of a filter (one per filter or unit)"),
    ("활성화 함수", "activation function", "the non-linearity applied to a layer's output (ReLU, softmax, ...)"),
    ("활성화 맵", "activation map", "a feature map after the activation function"),
    ("수용장 / 국부 수용장", "receptive field / local receptive field", "the input region one output neuron sees"),
    ("유효 수용장", "effective receptive field", "the part of the receptive field that actually sways an output (most gradient)"),
    ("가중치 공유", "weight sharing", "every position of a feature map uses the same filter"),
    ("패딩", "padding", "values (usually zeros) added around the input border"),
    ("스트라이드", "stride", "the step between two positions of the filter"),
    ("팽창 / 확장 합성곱", "dilation / dilated convolution", "a filter with gaps between its taps"),
    ("풀링 층", "pooling layer", "a parameter-free layer that summarises each window (max, average)"),
    ("최대 풀링", "max pooling", "keeps the largest value of each window"),
    ("평균 풀링", "average pooling", "keeps the mean of each window"),
    ("완전 연결층", "fully connected (dense) layer", "every input connected to every output"),
    ("채널", "channel", "one of the stacked 2-D maps of an input or feature tensor (e.g. R, G, B)"),
    ("배치", "batch / mini-batch", "a group of examples processed together"),
    ("역전파", "backpropagation", "computing gradients layer by layer from the loss backwards"),
    ("배치 정규화", "batch normalization", "normalising a layer's inputs with batch statistics"),
    ("드롭아웃", "dropout", "randomly dropping units during training"),
    ("데이터 증강", "data augmentation", "training on transformed copies of the images"),
    ("앙상블", "ensemble", "averaging the predictions of several models"),
    ("하이퍼파라미터", "hyper-parameter", "a setting chosen before training (learning rate, batch size, ...)"),
    ("학습률", "learning rate", "the step size of gradient descent"),
    ("옵티마이저", "optimizer", "the update rule (SGD, momentum, RMSprop, Adam, ...)"),
    ("과대적합", "overfitting", "fitting the training set at the cost of new data"),
    ("검증 세트", "validation set", "held-out training data used to choose epochs and settings, never the test set"),
    ("학습 곡선", "learning curve", "loss or accuracy per epoch, on training and validation data"),
    ("오차 행렬", "confusion matrix", "counts of (true class, predicted class) pairs"),
    ("학습률 스케줄", "learning-rate schedule", "a rule that changes the learning rate during training"),
    ("조기 종료", "early stopping", "stopping when the validation score stops improving"),
    ("k-겹 교차 검증", "k-fold cross-validation", "k trainings, each validated on a different k-th of the data"),
    ("지역 응답 정규화", "local response normalization (LRN)", "normalising across neighbouring channels (AlexNet)"),
    ("병목층", "bottleneck layer", "a 1x1 convolution that reduces the channel count"),
    ("인셉션 모듈", "inception module", "parallel convolutions concatenated along the depth"),
    ("잔차 유닛", "residual unit", "a block that learns h(x) - x and adds x back (skip connection)"),
    ("스킵 연결", "skip (shortcut) connection", "adding a block's input to its output"),
    ("잔차 학습", "residual learning", "layers learn the correction f(x) = h(x) - x; the skip connection adds x back"),
    ("투영 스킵 연결", "projection shortcut", "a 1x1 convolution (+ BN) on the skip connection where the shape changes"),
    ("성능 저하 문제", "degradation problem", "a deeper plain network fits its training data worse than a shallower one"),
    ("병목 유닛", "bottleneck unit", "a residual unit of 1x1 reduce, 3x3, 1x1 expand (ResNet-50 and deeper)"),
    ("학습률 웜업", "learning-rate warm-up", "raising the learning rate from near 0 over the first steps before its schedule starts"),
    ("가중치 감쇠", "weight decay", "shrinking every weight by a small fraction of itself at each step, next to the gradient step"),
    ("테스트 시점 증강", "test-time augmentation", "averaging the predictions for a test image and transformed copies of it (mirror, crops)"),
    ("밀집 블록", "dense block", "DenseNet's block: each layer gets the concatenated feature maps of all earlier ones"),
    ("성장률", "growth rate", "the k new channels each layer of a dense block adds"),
    ("전이층", "transition layer", "DenseNet's BN-ReLU-1x1 conv-2x2 average pooling between dense blocks"),
    ("깊이별 합성곱", "depthwise convolution", "one spatial filter per input channel; channels are not mixed"),
    ("점별 합성곱", "pointwise convolution", "a 1x1 convolution: mixes the channels at each pixel"),
    ("깊이별 분리 합성곱", "depthwise separable convolution", "a depthwise then a pointwise convolution (Xception)"),
    ("공간 분리 합성곱", "spatially separable convolution", "an FxF filter split into Fx1 then 1xF (exact for rank-1 kernels)"),
    ("그룹 합성곱", "grouped convolution", "channels split into groups, each convolved on its own"),
    ("전치 합성곱", "transposed convolution (deconvolution)", "spreads each input over a window of a larger output (upsampling)"),
    ("변형 가능 합성곱", "deformable convolution", "each tap moved by a learned fractional offset, read by bilinear interpolation"),
    ("스퀴즈-익사이테이션 블록", "squeeze-and-excitation (SE) block", "global pooling, two dense layers, a weight per channel that rescales it"),
    ("사전 훈련된 모델", "pretrained model", "a network already trained on a large dataset (e.g. ImageNet)"),
    ("이미지넷 (ILSVRC 2012)", "ImageNet (ILSVRC 2012)", "the 1000-class photo benchmark: 1.28 M training, 50,000 validation images"),
    ("상위-1 / 상위-5 정확도", "top-1 / top-5 accuracy", "share of images whose true class is the most probable / among the five most probable"),
    ("전처리", "preprocessing", "turning raw pixels into the inputs a model was trained on (each model's preprocess_input)"),
    ("너비 배수", "width multiplier (alpha)", "MobileNet's factor on the channel count of every layer"),
    ("곱셈-누산 연산", "multiply-accumulate (MAC, multiply-add)", "one product added to a running sum: the usual count of a network's work"),
    ("지연 시간", "latency", "the time to answer one input (batch 1)"),
    ("처리량", "throughput", "inputs handled per second, usually with larger batches"),
    ("최상층", "top (classification head)", "the global pooling and Dense classifier that include_top=False leaves out"),
    ("특성 추출", "feature extraction", "using a frozen pretrained network's output vector as the input of a new model"),
    ("전이 학습", "transfer learning", "reusing a pretrained network for a new task"),
    ("동결", "freezing", "layer.trainable = False: training leaves those weights unchanged"),
    ("미세 조정", "fine-tuning", "unfreezing pretrained layers and training them slowly"),
    ("프리페치", "prefetch", "preparing the next batches while the model works on the current one (tf.data)"),
    ("선형 프로브", "linear probe", "a linear classifier trained on a frozen network's features, to measure what they hold"),
    ("이동 평균", "moving average", "batch normalization's running mean and variance, used in inference mode"),
    ("자동 미분", "automatic differentiation", "the framework computes gradients of any computation (tape, jax.grad, autograd)"),
    ("현저성 맵", "saliency map", "the absolute gradient of a class score with respect to each input pixel"),
    ("Grad-CAM", "Grad-CAM (gradient-weighted class activation map)", "last conv maps weighted by their averaged gradients: where the class evidence is"),
    ("가림 민감도", "occlusion sensitivity", "the score drop when a grey patch hides each part of the image"),
    ("활성화 최대화", "activation maximization", "gradient ascent on the input to see what excites a filter most"),
    ("완전 합성곱 신경망", "fully convolutional network (FCN)", "a CNN without Dense layers: any input size, a map of outputs"),
    ("시맨틱 분할", "semantic segmentation", "a class for every pixel of the image"),
    ("인코더-디코더", "encoder-decoder (U-Net)", "shrink to coarse maps, grow back to the image size; skip connections keep the detail"),
    ("객체 탐지", "object detection", "finding each object's class and bounding box"),
    ("경계 상자", "bounding box", "the rectangle (y1, x1, y2, x2) around an object"),
    ("IoU (교집합/합집합)", "intersection over union (IoU)", "overlap of two boxes or masks: area of A ∩ B over area of A ∪ B"),
    ("비최대 억제", "non-maximum suppression (NMS)", "keep the best box, drop the boxes that overlap it too much, repeat"),
    ("앵커 박스", "anchor box", "a fixed box at every feature-map position that the detector moves and resizes"),
    ("관심 영역 풀링", "RoI pooling", "max pooling any region of a feature map to a fixed grid (Fast R-CNN)"),
    ("프로파일링", "profiling", "measuring where a program's time goes (input pipeline vs compute)"),
    ("입력 파이프라인", "input pipeline", "reading, decoding and batching the data that feeds training (tf.data)"),
    ("혼합 정밀도", "mixed precision", "layers compute in float16/bfloat16 while the weights stay float32"),
    ("손실 스케일링", "loss scaling", "multiplying the loss so that small float16 gradients do not round to 0"),
    ("데이터 병렬", "data parallelism", "a model copy per device, each on a part of the batch, gradients summed"),
    ("복제본", "replica", "one device's copy of the model in data-parallel training"),
    ("체크포인트", "checkpoint", "the saved weights and training state, to keep a model or resume a run"),
)


def course_map_markdown(link=None) -> str:
    """The course map as a Markdown table (notebook 00, README); ``link(stem)`` may return a URL for each lesson."""
    rows = ["| # | Part | Notebook | What you learn | Sources |", "|---|---|---|---|---|"]
    for lesson in LESSONS:
        number = lesson.stem.split("_", 1)[0]
        title = lesson.title
        if link is not None:
            url = link(lesson.stem)
            title = f"[{title}]({url})" if url else title
        sources = "; ".join(SOURCES[key][0] for key in lesson.sources) or "-"
        rows.append(f"| {number} | {lesson.part} | {title} | {lesson.summary} | {sources} |")
    return "\n".join(rows)


def sources_markdown() -> str:
    """The sources as a Markdown list (README's "Sources") (notebook 00)."""
    return "\n".join(f"- **{short}**: {long}." for short, long in SOURCES.values())


def glossary_markdown() -> str:
    """The glossary as a Markdown table (Korean, English, meaning; notebook 00)."""
    rows = ["| 한국어 | English | Meaning |", "|---|---|---|"]
    rows += [f"| {ko} | {en} | {meaning} |" for ko, en, meaning in GLOSSARY]
    return "\n".join(rows)
