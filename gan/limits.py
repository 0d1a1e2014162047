"""Every number the app promises its visitors, defined once: the checks enforce these, and every
string that states one (gan.text) is filled from here. Imports nothing of the project, so any
module can read it."""
SEED_MAX = 2**32 - 1           # a seed is a whole number 0..SEED_MAX
N_IMAGES = 8                   # the report's "8 images from a chosen seed"
Z_POSITIONS = 100              # latent positions (z_dim of both generators)
MAX_ITEMS = 16                 # positions or values of a sweep, amounts of an edit
MAX_ABS_VALUE = 1000.0         # |v| of a latent value (a sweep's, a pasted latent's)
TOP_POSITIONS = 8              # the importance tab shows the positions that change the image most
MIN_STEPS, MAX_STEPS = 2, 32   # interpolation steps
MAX_AMOUNT = 100.0             # |a| of an edit amount, in the prior's standard deviations
MAX_PIXELS = 25_000_000        # an upload's pixels, checked before it is decoded
NEAREST_K = 5                  # nearest training images shown per generated one
INDEX_PER_CLASS = 800          # training images per class in the bundled nearest-images index
HISTORY_FD_N = 2000            # samples per FD during training (history.json, the learned tab)
EVAL_N = 10_000                # samples per model metric (summary.json, the model table)
TRAIN_CAP_S = 300              # a Train job's cap, in seconds of training (the app's GAN_TRAIN_CAP_S)
TRAIN_JOBS_AT_ONCE = 32        # Train jobs under way at one time (app.py's queue): a class; the rest wait their turn
TRAIN_PLACES = 2               # ...of which training at one moment, taking turns (gan.live.PLACES): one per core
TRAIN_MAX_BATCH = 1024         # a Train job's batch size, at most
TRAIN_FD_N = 1000              # samples per Train job epoch-end FD and class histogram
TRAIN_MAX_EPOCHS = {"mlp": 30, "cnn": 5}
TRAIN_PER_CLASS = {"mlp": 800, "cnn": 300}  # a Train job's images per class (of the index's)
LAB_RANGE = 10.0               # |v| of a Latent lab slider: the report's large value, 10
N_LAB_ROWS = 3                 # the lab's one-number sliders (the report's positions 10, 60, 80)
LAB_FIRST_OPEN_BYTES = 8_000_000  # the Latent lab's files on the wire when a browser first opens it; again: none
CACHE_AGE_S = 6 * 3600         # a result file stays at least this long after it was last handed out (a lesson and more)
CACHE_SWEEP_S = 15 * 60        # how often older ones are deleted (gan.cache; app.py's GAN_CACHE_AGE_S, GAN_CACHE_SWEEP_S)
CACHE_MAX_BYTES = 4 * 2**30    # ...and the oldest while results and uploads hold more (GAN_CACHE_MAX_BYTES)
DATA_MIN_IMAGES = 16           # train.py --data: readable images it needs, at least...
DATA_MAX_IMAGES = 5000         # ...and at most: a few thousand (Fashion-MNIST's 60,000 is the default data)
DATA_MAX_CLASSES = 10          # class folders, at most: Fashion-MNIST's labels 0-9, so --classes keeps its meaning
DATA_MAX_FILES = 10_000        # files in the folder, or members in the .zip (folders too), at most
DATA_MAX_FILE_MB = 64          # one file's bytes (a zip member's unpacked size), at most
DATA_MAX_UNPACKED_MB = 1024    # all files' bytes together (a zip's unpacked size), at most
DATA_MAX_ZIP_MB = 256          # the .zip file itself, at most
DATA_PREVIEW_N = 64            # the Train tab shows this many of your images as the GAN sees them
