"""The ranges and choices every setting is checked against: one leaf table (it imports nothing),
read by the settings (ganlab.settings) and by the data sources that check an image's shape."""

ACTIVATIONS = ("relu", "leaky_relu", "tanh")
NOISE_KINDS = ("gaussian", "uniform")
OPTIMIZERS = ("adam", "sgd", "rmsprop")
TRAIN_WHICH = ("both", "d", "g")

HIDDEN_LAYERS_RANGE = (0, 5)
WIDTH_RANGE = (4, 512)
NOISE_DIM_RANGE = (1, 64)
LR_RANGE = (1e-6, 1.0)
BETA_RANGE = (0.0, 0.9999)
D_STEPS_RANGE = (1, 10)
UNROLL_RANGE = (0, 10)  # unrolled D steps in G's loss (Metz et al. 2017); 0: off
PACK_RANGE = (1, 4)  # samples D judges at once (PacGAN, Lin et al. 2018); 1: one at a time
BATCH_RANGE = (8, 4096)
PENALTY_RANGE = (0.0, 1000.0)
CLIP_RANGE = (1e-4, 1.0)
HALF_LIFE_RANGE = (0, 10_000_000)  # steps, for the learning-rate schedule
SEED_RANGE = (0, 2**31 - 1)
IMAGE_SIZES = (28, 32)
IMAGE_CHANNELS = (1, 3)
IMAGE_NOISE_DIM_RANGE = (1, 256)
IMAGE_WIDTH_RANGE = (8, 256)
IMAGE_D_WIDTH_RANGE = (0, IMAGE_WIDTH_RANGE[1])  # D's own width: 0 (as wide as G) or in IMAGE_WIDTH_RANGE
NUM_CLASSES_RANGE = (0, 1000)  # Stacked MNIST's 1,000 modes are its classes
CONDITIONAL_CLASSES_MAX = 100  # a conditional grid draws a row per class
EMA_DECAY_RANGE = (0.0, 0.9999)
VIEW_LAYERS = ("surface", "real", "fake", "gradients", "manifold", "modes")  # what the 2D view can show
MODELS = ("gan", "infogan", "stylegan", "cyclegan")  # which GAN a run trains (ganlab.kinds.models); "gan": as runs saved before
MODEL_DATA = {"gan": ("2D", "image"), "infogan": ("2D", "image"), "stylegan": ("image",), "cyclegan": ("2D",)}  # what each trains
INFO_CATEGORIES_RANGE = (0, 50)  # InfoGAN's categorical code: its choices; 0: as many as the data's modes or classes
INFO_CONTINUOUS_RANGE = (0, 3)  # InfoGAN's continuous codes beside the noise
INFO_WEIGHT_RANGE = (0.0, 10.0)  # InfoGAN's mutual-information weight λ
CYCLE_WEIGHT_RANGE = (0.0, 100.0)  # CycleGAN's cycle-consistency and identity weights
