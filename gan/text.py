"""Every string a visitor reads, in English ("en") and Simplified Chinese ("zh-CN"): one key per
string, the same keys in both languages (tests/test_text.py checks).

Two routes to the page, because Gradio translates only static text:
- static text (tabs, labels, buttons, help): app.py hands STRINGS to gr.I18n and the browser
  picks the language (navigator.language);
- what handlers return (class labels, table headers, captions, axis names, error messages): built
  on the server with t(lang, key), lang read from the request's Accept-Language header. A client
  that asks for no language (gradio_client as it comes) gets English; pixels never depend on it.
The report's own words are quoted as it wrote them, in Chinese.
"""
from gan import limits
from gan.config import STEPS_MAX
from gan.data import CLASSES

LANGUAGES = ("en", "zh-CN")
DEFAULT = "en"
SERVER_ONLY = ("error.", "got.", "cap.", "row.minutes", "lab.fallback", "meter.", "alarm.", "data.",
               "train.checkpoint_at")  # templates filled per call, not page text
LIMITS = dict(seed_max=limits.SEED_MAX, n=limits.N_IMAGES, last=limits.N_IMAGES - 1, z=limits.Z_POSITIONS,
              top=limits.Z_POSITIONS - 1, items=limits.MAX_ITEMS, vmax=f"{limits.MAX_ABS_VALUE:g}",
              amax=f"{limits.MAX_AMOUNT:g}", top_positions=limits.TOP_POSITIONS, cap_s=limits.TRAIN_CAP_S,
              fd_n=limits.TRAIN_FD_N, mlp_epochs=limits.TRAIN_MAX_EPOCHS["mlp"],
              cnn_epochs=limits.TRAIN_MAX_EPOCHS["cnn"], mlp_images=f"{10 * limits.TRAIN_PER_CLASS['mlp']:,}",
              cnn_images=f"{10 * limits.TRAIN_PER_CLASS['cnn']:,}", index_per_class=f"{limits.INDEX_PER_CLASS:,}",
              index_images=f"{10 * limits.INDEX_PER_CLASS:,}", max_batch=limits.TRAIN_MAX_BATCH, steps_max=STEPS_MAX,
              jobs=limits.TRAIN_JOBS_AT_ONCE, history_fd=f"{limits.HISTORY_FD_N:,}",
              eval_n=f"{limits.EVAL_N:,}", k_nearest=limits.NEAREST_K, max_pixels=f"{limits.MAX_PIXELS:,}",
              data_min=limits.DATA_MIN_IMAGES, data_max=f"{limits.DATA_MAX_IMAGES:,}",
              data_classes=limits.DATA_MAX_CLASSES, data_files=f"{limits.DATA_MAX_FILES:,}",
              file_mb=limits.DATA_MAX_FILE_MB, unpacked_mb=f"{limits.DATA_MAX_UNPACKED_MB:,}",
              zip_mb=limits.DATA_MAX_ZIP_MB, cache_hours=f"{limits.CACHE_AGE_S / 3600:g}",
              epoch_max=f"{limits.EPOCH_MAX_IMAGES:,}", mlp_per_class=limits.TRAIN_PER_CLASS["mlp"],
              cnn_per_class=limits.TRAIN_PER_CLASS["cnn"],
              preview_n=limits.DATA_PREVIEW_N)

# The report's observations (课程报告 w5, section 3), quoted in its own words.
REPORT_QUOTE = ("> 当随机数设置得很小（如 0.3）时，在不同位置改变一个这样的小随机数会产生相对较小的影响，甚至肉眼无法观察到任何变化。"
                "\n>\n> 然而，当随机数设置为较大的数字（如 10）时，如果我们在不同位置改变其中一个小随机数，收获的效果还是比较明显的，"
                "可以说是非常明显。\n>\n> ……过大的随机数（10）会导致图像亮度较低，甚至有些图像接近全黑。")

# key: (English, 简体中文). One entry holds both, so a missing translation cannot exist.
STRINGS = {
    # page
    "title": ('Fashion-MNIST GAN Explorer', 'Fashion-MNIST GAN 探索器'),
    "intro": (
        '# Fashion-MNIST GAN Explorer\nTwo small GANs from a course report on GANs, an **MLP** and a **CNN** (DCGAN-s'
        'tyle), trained on Fashion-MNIST. A **seed** is the identity of a sample: the same seed gives the same {n} '
        'images in every tab and API call. Each image is labelled by a separate Fashion-MNIST classifier.',
        '# Fashion-MNIST GAN 探索器\n来自一份生成对抗网络（GAN）课程报告的两个小型 GAN：一个 **MLP** 和一个 **CNN**（'
        'DCGAN 风格），都在 Fashion-MNIST 上训练。**随机数种子**决定一个样本：同一个种子在每个标签页、每次 API 调用中'
        '都生成同样的 {n} 张图。每张图下的类别由一个单独训练的 Fashion-MNIST 分类器给出。'),
    "tab.sample": ('Sample', '生成样本'),
    "tab.sweep": ('Latent sweep', '调整隐变量'),
    "tab.compare": ('MLP vs CNN', 'MLP 与 CNN 对比'),
    "tab.interpolate": ('Interpolate', '插值'),
    "tab.nearest": ('Nearest training images', '最相似的训练图像'),
    "tab.learned": ('How it learned', '训练过程'),
    # shared inputs
    "seed": ('seed (0 to {seed_max})', '随机数种子（0 到 {seed_max}）'),
    "model": ('model', '模型'),
    "random_seed": ('Random seed', '随机种子'),
    "report_seeds": ("the report's seeds", '报告中用过的种子'),
    "labels": ('what the classifier sees', '分类器的判断'),
    # Sample
    "sample.go": ('Generate {n} images', '生成 {n} 张图'),
    "sample.strip": (
        '{n} images from this seed (#0 to #{last}, left to right)',
        '这个种子生成的 {n} 张图（从左到右依次为 #0 到 #{last}）'),
    # Latent sweep
    "sweep.intro": (
        "Change **one latent dimension** of one of the seed's {n} latents, as in the report: `set` puts z[p] = v, `ad"
        'd` adds v. The report saw small values (0.3) barely change the image and large ones (10) change the garment '
        'and darken it. The plots measure that.',
        '和报告一样，只改变这个种子 {n} 个潜在向量之一的**一个维度**：`set`（设为）令 z[p] = v，`add`（加上）令 z[p] '
        '加上 v。报告的观察是：\n\n' + REPORT_QUOTE +
        '\n\n下面的图把这些观察量化了。'),
    "sweep.index": ('index (which of the {n} latents)', '序号（{n} 个潜在向量中的哪一个）'),
    "mode": ('mode', '方式'),
    "sweep.positions": ('positions (0-{top}, up to {items})', '位置（0-{top}，最多 {items} 个）'),
    "sweep.values": ('values (|v| ≤ {vmax}, up to {items})', '取值（|v| ≤ {vmax}，最多 {items} 个）'),
    "sweep.go": ('Sweep', '开始调整'),
    "sweep.base": ('base image', '原图'),
    "sweep.grid": ('one row per position, one column per value', '每行一个位置，每列一个取值'),
    "sweep.brightness": ('mean brightness (0-255) vs value', '平均亮度（0-255）随取值的变化'),
    "sweep.change": ('mean pixel change vs the base image', '与原图相比的平均像素变化'),
    "importance.intro": (
        '### Which positions matter\nEdit each of the {z} positions in turn to one value and measure how much the ima'
        'ge changes.',
        '### 哪些位置最重要\n依次把 {z} 个位置分别改成同一个取值，测量图像变化了多少。'),
    "importance.value": ('value (|v| ≤ {vmax})', '取值（|v| ≤ {vmax}）'),
    "importance.go": ('Measure all {z} positions', '测量全部 {z} 个位置'),
    "importance.bars": ('mean pixel change per position', '每个位置的平均像素变化'),
    "importance.top": ('the {top_positions} positions that change the image most', '让图像变化最大的 {top_positions} 个位置'),
    # MLP vs CNN
    "compare.go": ('Compare', '对比'),
    "compare.models": (
        'the two models (metrics on {eval_n} samples, see README)',
        '两个模型（指标基于 {eval_n} 个样本，详见 README）'),
    "compare.hist": (
        'classes of {eval_n} generated samples, the two models side by side',
        '{eval_n} 个生成样本的类别分布，两个模型并排显示'),
    # Interpolate
    "interp.intro": (
        'Walk from one sample to another through latent space: `slerp` follows the sphere where Gaussian latents live'
        ', `lerp` the straight line.',
        '在潜在空间中从一个样本走到另一个样本：`slerp`（球面插值）沿着高斯潜在向量所在的球面走，`lerp`（线性插值）走直'
        '线。'),
    "interp.index_a": ('index in seed A', '种子 A 中的序号'),
    "interp.index_b": ('index in seed B', '种子 B 中的序号'),
    "interp.steps": ('steps', '步数'),
    "interp.method": ('method', '插值方法'),
    "interp.go": ('Interpolate', '插值'),
    "interp.strip": ('from A to B', '从 A 到 B'),
    "interp.gif": ('animation (GIF)', '动画（GIF）'),
    # Nearest training images
    "nearest.intro": (
        'Is the model copying its training set? A generated image beside its {k_nearest} nearest training images, by pixels and'
        " by the classifier's features. The index holds {index_images} of the 60,000 training images ({index_per_class} per class), bundled "
        'with the app.',
        '模型是在照抄训练集吗？把一张生成图和与它最相似的 {k_nearest} 张训练图放在一起，分别按像素和按分类器的特征比较。检索库收'
        '录了 60,000 张训练图中的 {index_images} 张（每类 {index_per_class} 张），随应用一起提供。'),
    "nearest.index": ('index (which of the {n} images)', '序号（{n} 张图中的哪一张）'),
    "nearest.go": ('Find nearest', '查找'),
    "nearest.query": ('generated', '生成图'),
    "nearest.pixels": ('nearest in pixel space', '像素空间中最相似的'),
    "nearest.features": ('nearest in classifier feature space', '分类器特征空间中最相似的'),
    # How it learned
    "learned.intro": (
        'The same 64 fixed latents after each epoch of training, and the training curves (FD on {history_fd} samples every few '
        'epochs), from the bundled training history.',
        '同样 64 个固定的潜在向量在每一轮训练之后生成的图，以及训练曲线（每隔几轮在 {history_fd} 个样本上计算 FD），取自随权重'
        '提供的训练记录。'),
    "learned.epoch": ('epoch', '训练轮次'),
    "learned.go": ('Show', '显示'),
    "learned.grid": ('samples after this epoch', '这一轮训练之后生成的图'),
    "learned.losses": ('losses per epoch', '每轮的损失'),
    "learned.fd": ('FD ({history_fd} samples) per epoch', '每轮的 FD（{history_fd} 个样本）'),
    # Train it yourself
    "tab.garment": ('Your own garment', '你自己的衣物'),
    "garment.intro": (
        'Draw a garment, or upload a picture of one. It is made to look like Fashion-MNIST (grayscale, light on black'
        ", cropped, fitted into 28x28), then found in the GAN's latent space: the latent whose image is closest in "
        'pixels. Then move it along a direction: toward a class (a direction fitted once per model so that the classi'
        "fier calls the moved garment that class), or along a principal direction of the generator's first layer (pc1"
        ' to pc10, as GANSpace does), where the report changed one number at a time.',
        '画一件衣物，或上传一张衣物的图片。它会先被处理成 Fashion-MNIST 的样子（灰度、黑底浅色、裁剪、缩放到 28x28）'
        '，再在 GAN 的潜在空间中找到它：像素上最接近的那张图所对应的潜在向量。然后沿一个方向移动它：朝某个类别（每个模'
        '型拟合一次的方向，使分类器把移动后的衣物判为该类），或沿生成器第一层的主方向（pc1 到 pc10，与 GANSpace 的做法'
        '相同）；报告里则是一次只改一个数。'),
    "garment.draw": ('draw here', '在这里画'),
    "garment.image": ('or upload an image (this file is inverted)', '或上传一张图片（反演的是这个文件）'),
    "garment.go": ('Find it in latent space', '在潜在空间中寻找'),
    "garment.target": ('as Fashion-MNIST would have it (28x28)', '处理成 Fashion-MNIST 的样子（28x28）'),
    "garment.recon": ("the generator's closest image", '生成器能画出的最接近的图像'),
    "garment.info": ('latent and scores', '潜在向量与评分'),
    "edit.latent": (
        'latent: a JSON list of {z} numbers, or SEED/INDEX such as 114514/3',
        '潜在向量：{z} 个数的 JSON 列表，或“种子/序号”，例如 114514/3'),
    "edit.direction": ('direction', '方向'),
    "edit.amounts": ('amounts (up to {items}, |a| ≤ {amax})', '幅度（最多 {items} 个，|a| ≤ {amax}）'),
    "edit.go": ('Edit', '编辑'),
    "edit.strip": ("the edited images, the classifier's label under each", '编辑后的图像，下方是分类器的判断'),
    "psi": (
        'truncation ψ (1: none; smaller: closer to the average garment)',
        '截断系数 ψ（1 为不截断；越小越接近平均的衣物）'),
    "tab.lab": ('Latent lab', '隐变量实验室'),
    "lab.intro": (
        "**Change one number and watch, live.** The report's third experiment (调整每个随机数): pick a seed and "
        "an image, then drag. Both generators and the classifier run **in your browser** (onnxruntime-web), "
        "MLP and CNN side by side on the same latent, so the images follow while you drag and the server does "
        "nothing. *set* replaces z[p] with the value, *add* adds it; the report's small value 0.3 and large "
        "value 10 are one click away. Below: the principal directions pc1..pc10, a class direction, and ψ.",
        "**改一个数，立刻看到变化。** 这是报告的第三个实验（调整每个随机数）：选一个种子和一张图，然后拖动滑块。两个生成器和"
        "分类器都在**你的浏览器里**运行（onnxruntime-web），MLP 与 CNN 并排使用同一个隐变量，拖动时图像随之变化，"
        "服务器什么也不用算。*set* 把 z[p] 换成这个值，*add* 把它加到 z[p] 上；报告里的小值 0.3 和大值 10 一键可达。"
        "下面还有主方向 pc1..pc10、一个类别方向和 ψ。"),
    "lab.index": ("the seed's image # (0 to {last})", '种子的第几张图（0 到 {last}）'),
    "lab.go": ('Start from this image', '从这张图开始'),
    "lab.paste": (
        'or start from a latent: a JSON list of {z} numbers, or SEED/INDEX',
        '或从一个隐变量开始：{z} 个数的 JSON 列表，或“种子/序号”'),
    "lab.paste_go": ('Start from this latent', '从这个隐变量开始'),
    "lab.from_garment": ("Take Your own garment's latent", '用“你自己的衣物”里的隐变量'),
    "lab.pasted": ('a latent you gave', '你给出的隐变量'),
    "lab.loading": ('starting onnxruntime in this browser…', '正在浏览器中启动 onnxruntime……'),
    "lab.ready": (
        'computed in this browser: no request to the server while you drag',
        '在你的浏览器中计算：拖动时不向服务器发送任何请求'),
    "lab.fallback": (
        'this browser cannot run the models ({why}): the server draws the images instead, once per slider '
        'release',
        '这个浏览器无法运行模型（{why}）：改由服务器绘制图像，每松开一次滑块请求一次'),
    "lab.server": ('drawn by the server', '由服务器绘制'),
    "lab.report": ("the report's experiment: one number of the latent", '报告中的实验：隐变量中的一个数'),
    "lab.mode": ('mode', '方式'),
    "lab.position": ('position', '位置'),
    "lab.value": ('value', '取值'),
    "lab.reset": ('reset', '复原'),
    "lab.pcs": ('principal directions', '主方向'),
    "lab.class": ('class direction', '类别方向'),
    "lab.amount": ('amount', '幅度'),
    "lab.psi": ('truncation ψ', '截断系数 ψ'),
    "lab.copy": ('Copy the latent', '复制隐变量'),
    "lab.copied": (
        "copied: paste it into Your own garment's latent box, or give it to /edit",
        '已复制：可粘贴到“你自己的衣物”的隐变量框，或交给 /edit'),
    "lab.current": ('the latent shown (JSON, as /edit takes it)', '当前的隐变量（JSON，/edit 接受的格式）'),
    "tab.train": ('Train it yourself', '自己训练'),
    "train.intro": (
        'Watch a GAN learn, live. **report** is the recipe the report ran, the course template: plain SGD at 0.03 for'
        " both nets, batch 64, BCE on D's sigmoid output, and real images left in [0, 1] by ToTensor while G's tanh "
        "draws in [-1, 1], so D can tell real from fake by the range of the pixels alone. **textbook** is DCGAN's loo"
        "p (Adam 2e-4); **tuned** is the bundled models' (a faster Adam, an EMA of G, for the MLP an R1 penalty). Tra"
        'ining runs on a fixed, class-balanced subset of the training set ({mlp_images} images for the MLP, {cnn_imag'
        "es} for the CNN).\n\nWatch the class histogram, not only the loss. The report found that looking at a GAN's "
        'loss means little (本人认为看gan的loss意义不大): the losses can settle while the samples collapse to a few '
        'classes, which FD and the histogram show: the meters say so, and raise an alarm when D wins, when G stalls, '
        'and when the class count falls.\n\nUp to {jobs} jobs (a whole class) train at once, taking turns on the '
        "CPU a second at a time, each for at most {cap_s} s of training; more wait in the queue and see their place.",
        '实时观察 GAN 的学习过程。**report** 是报告实际使用的方案，即课程模板：两个网络都用学习率 0.03 的普通 SGD，'
        '批大小 64，对判别器的 sigmoid 输出计算 BCE；真实图像只经过 ToTensor，取值在 [0, 1]，而生成器的 tanh 输出在 '
        '[-1, 1]，判别器仅凭像素的取值范围就能分辨真假。**textbook** 是 DCGAN 论文的训练方式（Adam 2e-4）；**tuned** '
        '是随附模型的方案（学习率更大的 Adam、生成器的 EMA，MLP 另加 R1 惩罚）。训练使用训练集中一个固定的、各类别均衡'
        '的子集（MLP {mlp_images} 张，CNN {cnn_images} 张）。\n\n请看类别分布，而不只是损失。报告中写道：“本人认为看g'
        'an的loss意义不大”。损失可能已经平稳，样本却塌缩到少数几个类别，FD 和类别分布能看出这一点：'
        '仪表会显示出来，并在判别器占上风、生成器停滞、类别数下降时发出警报。\n\n最多 {jobs} 个训练任务（一整个班）'
        '同时进行，轮流使用 CPU，每次一秒；每个任务最多训练 {cap_s} 秒；更多的任务排队等候，并能看到自己的位置。'),
    "train.recipe": ('recipe', '训练方案'),
    "train.epochs": (
        'epochs (MLP 1-{mlp_epochs}, CNN 1-{cnn_epochs})',
        '训练轮数（MLP 1-{mlp_epochs}，CNN 1-{cnn_epochs}）'),
    "train.seed": (
        'training seed (initial weights, data order, latents)',
        '训练随机数种子（决定初始权重、数据顺序和潜在向量）'),
    "train.go": ('Train', '开始训练'),
    "train.stop": ('Stop', '停止'),
    "train.grid": ('64 fixed latents, as the generator draws them now', '64 个固定的潜在向量，生成器此刻画出的样子'),
    "train.losses": ('D and G loss', '判别器与生成器的损失'),
    "train.dout": (
        "D(x) and D(G(z)): D's mean output on real and on generated images",
        'D(x) 与 D(G(z))：判别器对真实图像和生成图像的平均输出'),
    "train.fd": ('FD ({fd_n} samples) per epoch', '每轮的 FD（{fd_n} 个样本）'),
    "train.hist": ('classes of {fd_n} samples, at the last epoch end', '{fd_n} 个样本的类别分布（最近一轮结束时）'),
    "train.stats": ('progress', '进度'),
    "train.model": (
        'the trained generator (.zip: config.json + model.safetensors)',
        '训练好的生成器（.zip：config.json + model.safetensors）'),
    "train.try_intro": (
        '### Your model beside the bundled one\nThe {n} images of a seed from the model you trained and from the bund'
        'led model of the same kind: the same latents.',
        '### 你的模型与随附模型对比\n同一个种子的 {n} 个潜在向量，分别由你训练的模型和同类型的随附模型生成图像。'),
    "train.try_go": ('Show {n} images', '显示 {n} 张图'),
    "train.yours": ('your model', '你的模型'),
    "train.bundled": ('the bundled model', '随附模型'),
    "train.settings": (
        'Settings (the recipe sets them; change any, then Train)', '训练设置（由训练方案给出；可任意修改，再点“开始训练”）'),
    "train.d_steps": ("D's steps per batch (0-{steps_max})", '每批数据判别器的更新次数（0-{steps_max}）'),
    "train.g_steps": (
        "G's steps per batch (0-{steps_max}; 0 trains D alone)", '每批数据生成器的更新次数（0-{steps_max}；0 表示只训练判别器）'),
    "train.loss": ('loss', '损失函数'),
    "train.real_range": ('range of the real images', '真实图像的取值范围'),
    "train.optimizer_g": ("G's optimizer", '生成器的优化器'),
    "train.optimizer_d": ("D's optimizer", '判别器的优化器'),
    "train.lr_g": ("G's learning rate", '生成器的学习率'),
    "train.lr_d": ("D's learning rate", '判别器的学习率'),
    "train.beta1": ("Adam's beta1 (momentum; both networks)", 'Adam 的 beta1（动量；两个网络都用）'),
    "train.batch_size": ('batch size (1-{max_batch})', '批大小（1-{max_batch}）'),
    "train.label_smoothing": (
        "one-sided label smoothing (real images' target 1 - s; BCE losses only)",
        '单侧标签平滑（真实图像的目标值为 1 - s；仅用于 BCE 损失）'),
    "train.ema_decay": ("decay of G's moving average (0: none)", '生成器滑动平均的衰减率（0 表示不用）'),
    "train.r1_gamma": ("weight of the R1 penalty on D (0: none)", '判别器 R1 惩罚的权重（0 表示不用）'),
    "train.classes": ('classes to train on', '参与训练的类别'),
    "train.meters": ('meters', '仪表'),
    "train.dacc": ("D's accuracy on real and on generated images", '判别器对真实图像与生成图像的准确率'),
    "train.view": (
        "64 fixed latents as G draws them now, with D's verdict (its probability of real) under each; bottom row: real "
        'training images', '64 个固定的潜在向量此刻生成的图像，每张下方是判别器的判断（认为它是真实图像的概率）；最后一行：真实的训练图像'),
    "train.reproduce": (
        'Reproduce: this command trains the same weights as the tab (same machine)',
        '复现：这条命令在同一台机器上训练出与本页相同的权重'),
    "train.time": (
        "Control of time: pause, step D or G once, resume; go back to any checkpoint of this job and go on from there, "
        'with these settings or others', '时间控制：暂停，单独更新一步判别器或生成器，继续；回到本次训练的任一检查点，用当前或修改后的设置从那里继续'),
    "train.pause": ('Pause', '暂停'),
    "train.resume": ('Resume', '继续'),
    "train.step_d": ('One step of D', '判别器走一步'),
    "train.step_g": ('One step of G', '生成器走一步'),
    "train.step_both": ('One step of both', '两者各走一步'),
    "train.checkpoint": (
        'checkpoint (at each epoch end and pause; safetensors): give it to /train to go on', '检查点（每轮结束和暂停时给出；safetensors 格式）：交给 /train 即可继续训练'),
    "train.fork_from": ('go back to', '回到'),
    "train.fork": ('Go on from there with these settings', '用当前设置从那里继续'),
    "train.start": ('or start from a checkpoint file (.safetensors)', '或从一个检查点文件（.safetensors）开始'),
    "train.checkpoint_at": ('epoch {epoch}, step {step}', '第 {epoch} 轮，第 {step} 步'),
    "train.data_intro": (
        '**Your own images.** Upload a .zip of a folder of images (one folder per class optional) or several '
        'images, or draw garments and add each drawing. Each image is made Fashion-MNIST-like, as in Your own '
        'garment: see them below as the GAN will, then press Train, and the job trains on them with the model, '
        'recipe and settings above. The classes are your folders, all of them, and a job takes at most '
        '{mlp_per_class} images of each (the CNN: {cnn_per_class}); an epoch passes over them as often as it takes '
        'to make as many steps as on Fashion-MNIST. At least {data_min} and at most {data_max} images; a file of at '
        'most {zip_mb} MB, and a .zip unpacking to at most {unpacked_mb} MB. **Your uploaded files stay on this '
        'server only for the job: they are deleted when it ends** (files never trained on go with the app\'s '
        'other uploads, within about {cache_hours} hours); so are your drawings. The 28x28 copies shown on this '
        'page stay with the app\'s results for as long. Remove the files to train on Fashion-MNIST again.',
        '**你自己的图像。** 上传一个图像文件夹的 .zip 文件（可以每个类别一个文件夹），或上传多张图像，'
        '也可以画几件衣物，每画一件就添加一次。每张图像都会像“你自己的衣物”中那样变成 Fashion-MNIST 的样子：'
        '先在下面看看 GAN 将看到的样子，再点“开始训练”，训练就会用上面的模型、训练方案和设置在这些图像上进行。'
        '类别就是你的各个文件夹，全部参与训练，每个类别最多取 {mlp_per_class} 张（CNN：{cnn_per_class} 张）；'
        '每一轮会把这些图像重复多遍，使训练步数与在 Fashion-MNIST 上相同。'
        '至少 {data_min} 张，最多 {data_max} 张；每个文件最多 {zip_mb} MB，.zip 文件解压后最多 {unpacked_mb} MB。'
        '**你上传的文件只在训练期间留在服务器上：训练结束时即被删除**（从未用于训练的文件，会与本应用的其他上传文件一起，'
        '在大约 {cache_hours} 小时内删除）。你画的图也是如此。本页显示的 28x28 副本，会和本应用的其他结果一起保留同样长的时间。'
        '移除这些文件，即可重新用 Fashion-MNIST 训练。'),
    "train.own": ('Train on your own images', '用你自己的图像训练'),
    "train.data": ('your images, or a .zip of them', '你的图像，或它们的 .zip 文件'),
    "train.draw": ('draw a garment', '画一件衣物'),
    "train.add_drawing": ('Add this drawing', '添加这幅画'),
    "train.data_preview": (
        'as the GAN will see them (28x28; the first {preview_n})', 'GAN 将看到的样子（28x28；前 {preview_n} 张）'),
    "train.data_summary": ('your images', '你的图像'),
    "train.nearest": (
        'nearest training images: 8 of the final images, each beside the training image closest to it',
        '最近的训练图像：最终的 8 张图像，每张旁边是与它最接近的训练图像'),
    "data.summary": (
        '{n} readable images, {classes}. Files skipped: {skipped}.',
        '可以读取的图像 {n} 张，{classes}。跳过的文件：{skipped}。'),
    "data.one_class": ('one class', '一个类别'),
    "data.classes": ('{k} classes ({names})', '{k} 个类别（{names}）'),
    "data.none": ('none', '无'),
    "data.none_yet": (
        'No images yet: Train uses Fashion-MNIST.', '还没有图像：训练将使用 Fashion-MNIST。'),
    "data.skip.hidden": ('{count} hidden', '{count} 个隐藏文件'),
    "data.skip.empty_file": ('{count} empty', '{count} 个空文件'),
    "data.skip.too_big": ('{count} too large', '{count} 个过大'),
    "data.skip.unreadable": ('{count} unreadable', '{count} 个无法读取'),
    "data.skip.not_image": ('{count} not images', '{count} 个不是图像'),
    "data.skip.empty_image": ('{count} blank', '{count} 个空白图像'),
    "cap.nearest": (
        'nearest: distance {d:.2f} (training images: {typical:.2f} from their nearest)',
        '最近：距离 {d:.2f}（训练图像与其最近者相距 {typical:.2f}）'),
    "cap.final": ('final #{i}', '最终 #{i}'),
    "train.settings_json": ('settings (JSON, as /train takes them)', '训练设置（JSON，/train 接受的格式）'),
    "meter.d_loss": ('D loss', '判别器损失'),
    "meter.g_loss": ('G loss', '生成器损失'),
    "meter.d_acc_real": ("D's accuracy on real images", '判别器对真实图像的准确率'),
    "meter.d_acc_fake": ("D's accuracy on generated images", '判别器对生成图像的准确率'),
    "meter.entropy": (
        'class entropy of {n} samples: {bits:.2f} of {max_bits:.2f} bits', '{n} 个样本的类别熵：{bits:.2f} 比特（最大 {max_bits:.2f}）'),
    "meter.classes": (
        'classes drawn (each above {floor}% of the samples): {k} of {n}', '生成的类别数（占样本 {floor}% 以上的类别）：{k} / {n}'),
    "meter.fd": ('FD at the last epoch end: {fd}', '最近一轮结束时的 FD：{fd}'),
    "meter.no_fd": ('FD: after the first epoch', 'FD：第一轮结束后给出'),
    "meter.progress": (
        'epoch {epoch} of {epochs} · step {step} · {ips} images/s · {secs} s of training',
        '第 {epoch} / {epochs} 轮 · 第 {step} 步 · 每秒 {ips} 张图 · 已训练 {secs} 秒'),
    "meter.not_trained": ('(no step of this network yet)', '（这个网络还没有更新过）'),
    "meter.no_alarm": ('No alarm.', '没有警报。'),
    "meter.paused": (
        'Paused: step D or G once, go back to a checkpoint, or resume.', '已暂停：可让判别器或生成器单独走一步、回到某个检查点，或继续训练。'),
    "alarm.d_wins": (
        "D wins, since epoch {epoch}: it tells real from generated images almost every time, so G's loss has little "
        'left to teach it. See the accuracy curves there.',
        '判别器占了上风（从第 {epoch} 轮起）：它几乎每次都能分清真实图像与生成图像，生成器的损失几乎无法再指导它学习。请看那时的准确率曲线。'),
    "alarm.g_stalls": (
        "G stalls, since epoch {epoch}: its images have stopped changing. See the grid, and G's loss there.",
        '生成器停滞了（从第 {epoch} 轮起）：它生成的图像不再变化。请看图像网格和那时的生成器损失。'),
    "alarm.classes_fall": (
        'The class count fell, since epoch {epoch}: G now draws fewer kinds of garment than it did (mode collapse). '
        'See the class histogram; the loss does not show it.',
        '类别数下降了（从第 {epoch} 轮起）：生成器画出的衣物种类比之前少了（模式崩溃）。请看类别分布，损失曲线看不出这一点。'),
    "curve.d_acc_real": ('on real images', '真实图像'),
    "curve.d_acc_fake": ('on generated images', '生成图像'),
    # what handlers return: axis names, table headers, captions
    "axis.value": ('value', '取值'),
    "axis.brightness": ('brightness', '亮度'),
    "axis.position": ('position', '位置'),
    "axis.change": ('change', '变化'),
    "axis.class": ('class', '类别'),
    "axis.share": ('share', '占比'),
    "axis.model": ('model', '模型'),
    "axis.epoch": ('epoch', '轮次'),
    "axis.curve": ('curve', '曲线'),
    "axis.loss": ('value', '损失'),
    "axis.fd": ('FD', 'FD'),
    "curve.d_loss": ('D loss', '判别器损失'),
    "curve.g_loss": ('G loss', '生成器损失'),
    "curve.d_real": ('D(x)', 'D(x)'),
    "curve.d_fake": ('D(G(z))', 'D(G(z))'),
    "cap.label": ('{cls} {p}%', '{cls} {p}%'),
    "cap.item": ('{what} · {label}', '{what} · {label}'),
    "cap.seed": ('seed {seed} · #{index}', '种子 {seed} · #{index}'),
    "cap.generated": ('seed {seed} · #{index} (generated)', '种子 {seed} · #{index}（生成）'),
    "cap.train": ('train #{i} · {space} distance {d:.2f}', '训练集 #{i} · {space}距离 {d:.2f}'),
    "space.pixels": ('pixels', '像素'),
    "space.features": ('features', '特征'),
    "row.parameters": ('parameters (G)', '参数量（生成器）'),
    "row.epochs": ('training epochs', '训练轮数'),
    "row.time": ('training time', '训练用时'),
    "row.minutes": ('{m:.1f} min', '{m:.1f} 分钟'),
    "row.speed": ('ms for {n} images', '生成 {n} 张图的毫秒数'),
    "row.fd": ('FD ↓', 'FD ↓'),
    "row.precision": ('precision ↑', '精确率 ↑'),
    "row.recall": ('recall ↑', '召回率 ↑'),
    "row.coverage": ('coverage ↑', '覆盖率 ↑'),
    "row.is": ('classifier IS ↑', '分类器 IS ↑'),
    "row.weights": ('weights', '权重来源'),
    # error messages (gan.checks.InputError keys); {name} is one of the name.* keys
    "error.whole": (
        '{name} must be a whole number from {lo} to {hi}, got {got}',
        '{name}必须是 {lo} 到 {hi} 之间的整数，收到的是 {got}'),
    "error.list_type": ("{name} must be text like '1, 2, 3'", "{name}必须是像 '1, 2, 3' 这样的一串数字"),
    "error.list_empty": (
        "{name}: give at least one number, e.g. '10, 60, 80'",
        "{name}：请至少给出一个数，例如 '10, 60, 80'"),
    "error.list_long": ('{name}: at most {most} numbers, got {count}', '{name}：最多 {most} 个数，收到了 {count} 个'),
    "error.not_number": ('{name}: {got} is not a number', '{name}：{got} 不是数字'),
    "error.not_whole": ('{name}: {got} is not a whole number', '{name}：{got} 不是整数'),
    "error.outside": ('{name}: {got} is outside {lo}..{hi}', '{name}：{got} 超出了范围 {lo}..{hi}'),
    "error.one_number": ('{name} must be one number, got {count}', '{name}只能是一个数，收到了 {count} 个'),
    "error.number": (
        '{name} must be a finite number from {lo} to {hi}, got {got}',
        '{name}必须是 {lo} 到 {hi} 之间的有限数，收到的是 {got}'),
    "error.choice": ('{name} must be one of {allowed}, got {got}', '{name}必须是 {allowed} 之一，收到的是 {got}'),
    "error.no_history": ('the {arch} weights carry no training history', '{arch} 的权重不含训练记录'),
    "error.not_image": (
        'this file is not an image that can be read (PNG, JPEG, WebP, ...)',
        '这个文件不是可以读取的图像（PNG、JPEG、WebP 等）'),
    "error.not_uploaded": (
        'the file must be one uploaded to this app', '文件必须是上传到本应用的文件'),
    "error.too_big": ('the image is too large: at most {most} pixels are accepted', '图像太大：最多接受 {most} 像素'),
    "error.empty_image": (
        'the image shows nothing: draw or upload a garment',
        '图像中什么也没有：请画一件衣物，或上传一张图片'),
    "error.data_missing": (
        'the data must be a folder of images or a .zip file of one', '训练数据必须是一个图像文件夹，或这样一个文件夹的 .zip 文件'),
    "error.data_few": (
        'at least {data_min} readable images are needed to train, found {count}',
        '训练至少需要 {data_min} 张可以读取的图像，只找到了 {count} 张'),
    "error.data_many": (
        'at most {data_max} images can be trained on: the data holds more',
        '最多只能用 {data_max} 张图像训练：这些数据中的图像更多'),
    "error.data_files": (
        'the data holds too many files: at most {data_files} are read',
        '数据中的文件太多：最多读取 {data_files} 个'),
    "error.data_classes": (
        'at most {data_classes} class folders are allowed, found {count}',
        '最多允许 {data_classes} 个类别文件夹，找到了 {count} 个'),
    "error.zip_big": ('the .zip file is too large: at most {zip_mb} MB', '.zip 文件太大：最多 {zip_mb} MB'),
    "error.zip_bomb": (
        'the .zip file unpacks to too much: at most {file_mb} MB a file and {unpacked_mb} MB in all',
        '.zip 文件解压后太大：每个文件最多 {file_mb} MB，总共最多 {unpacked_mb} MB'),
    "error.zip_unsafe": (
        'the .zip file holds a link, or a name that leads out of its folder (such as ../ or /): it is refused',
        '.zip 文件中有链接，或有指向其文件夹之外的名称（如 ../ 或 /）：已拒绝'),
    "error.bad_zip": ('this is not a .zip file that can be read', '这不是可以读取的 .zip 文件'),
    "error.data_one_zip": (
        'upload one .zip file, or images: not several .zip files, nor a .zip with images',
        '请上传一个 .zip 文件，或上传图像：不能上传多个 .zip 文件，也不能把 .zip 文件和图像一起上传'),
    "error.data_gone": (
        'these files are no longer on the server (they are deleted after each job): upload them again',
        '这些文件已不在服务器上（每次训练结束后都会删除）：请重新上传'),
    "error.data_big": (
        'the images are too large together: at most {unpacked_mb} MB in all',
        '这些图像加起来太大：总共最多 {unpacked_mb} MB'),
    "error.epoch_big": (
        'an epoch of {count:,} images is too many (--repeat): at most {epoch_max} are held',
        '一轮 {count:,} 张图像太多（--repeat）：最多只能容纳 {epoch_max} 张'),
    "error.checkpoint_data": (
        'this checkpoint was trained on other images: go on from it with the images it was trained on',
        '这个检查点是用其他图像训练的：请用训练它时的那些图像从它继续'),
    "error.hub_name": (
        'a Hub dataset is named hf://datasets/USER/NAME or USER/NAME, optionally with @REVISION',
        'Hub 数据集的名称形如 hf://datasets/USER/NAME 或 USER/NAME，可以加上 @REVISION'),
    "error.hub_missing": (
        'the Hub has no such dataset, or no such revision of it', 'Hub 上没有这个数据集，或没有它的这个版本'),
    "error.hub_unreachable": (
        'the Hub cannot be reached from here (offline, or the Hub did not answer): try again later, or download '
        'the images and pass their folder',
        '这里无法连接 Hub（离线，或 Hub 没有回应）：请稍后再试，或先下载图像再传入它们的文件夹'),
    "error.hub_parquet": (
        'this Hub dataset stores its images inside Parquet or Arrow files; a dataset of image files (one folder per '
        'class optional) is needed',
        '这个 Hub 数据集把图像存放在 Parquet 或 Arrow 文件中；需要由图像文件组成的数据集（可以每个类别一个文件夹）'),
    "error.hub_big": (
        'the Hub dataset is too large: at most {file_mb} MB a file and {unpacked_mb} MB in all',
        'Hub 数据集太大：每个文件最多 {file_mb} MB，总共最多 {unpacked_mb} MB'),
    "error.latent_text": (
        'latent must be a JSON list of {z} numbers, or SEED/INDEX such as 114514/3',
        '潜在向量必须是 {z} 个数的 JSON 列表，或“种子/序号”，例如 114514/3'),
    "error.latent_length": (
        'latent must have {z} numbers, got {count}',
        '潜在向量必须有 {z} 个数，收到了 {count} 个'),
    "error.latent_finite": (
        'latent numbers must be finite, with |z| ≤ {most} (no NaN or infinity)',
        '潜在向量中的数必须是有限数，且 |z| ≤ {most}（不能是 NaN 或无穷大）'),
    "error.busy": (
        'a training job from this page is already running: press Stop, or wait for it to end',
        '本页面已有一个训练任务在运行：请先点“停止”，或等它结束'),
    "error.no_model": (
        'no trained model yet: train one first (or give its .zip)',
        '还没有训练好的模型：请先训练一个（或提供它的 .zip 文件）'),
    "error.bad_model": (
        'not a model .zip from the Train tab (config.json and model.safetensors of an mlp or cnn generator)',
        '这不是“自己训练”标签页给出的模型 .zip（应包含 mlp 或 cnn 生成器的 config.json 和 model.safetensors）'),
    "error.settings_type": (
        'settings must be a JSON object whose keys are some of: {keys}', '训练设置必须是一个 JSON 对象，键取自：{keys}'),
    "error.settings_key": (
        'settings: {got} is not a setting; the settings are: {keys}', '训练设置：{got} 不是可用的设置；可用的设置有：{keys}'),
    "error.no_classes": ('choose at least one class to train on', '请至少选择一个参与训练的类别'),
    "error.classes": (
        'classes must be all, or labels 0 to {last} (a list, or text such as 0,1,7), got {got}',
        '类别必须是 all，或 0 到 {last} 的标签（列表，或像 0,1,7 这样的文字），收到的是 {got}'),
    "error.nothing_trains": (
        "D's steps and G's steps cannot both be 0: nothing would train", '判别器和生成器的更新次数不能都为 0：那样什么也不会训练'),
    "error.smoothing_loss": (
        'label smoothing moves the target of the BCE losses only ({losses}), not of the loss {got}',
        '标签平滑只作用于 BCE 损失（{losses}），不能用于损失函数 {got}'),
    "error.not_paused": ('pause the job first: one step at a time is for a paused job', '请先暂停训练：单步更新只用于暂停中的训练'),
    "error.no_job": (
        'no such training job is running (it has ended, or the id is not one this app gave)',
        '没有这个正在运行的训练任务（它已结束，或这个编号不是本应用给出的）'),
    "error.bad_checkpoint": (
        "not a checkpoint this job can go on from (a .safetensors checkpoint of the Train tab or train.py, unchanged)",
        '这不是本次训练可以继续的检查点（应是“自己训练”标签页或 train.py 给出的、未经修改的 .safetensors 检查点）'),
    "error.checkpoint_arch": (
        'this checkpoint is of the {arch} model, not of {want}: choose that model, or another checkpoint',
        '这个检查点属于 {arch} 模型，而不是 {want}：请选择那个模型，或换一个检查点'),
    "error.no_epochs_left": (
        'the checkpoint has done {done} epochs already: ask for more epochs to go on',
        '这个检查点已经训练了 {done} 轮：要继续，请设置更多的训练轮数'),
    "got.type": ('a {type}', '一个 {type} 类型的值'),
    "got.text": ('text that is not a plain number', '一段不是普通数字的文字'),
    "name.seed": ('seed', '随机数种子'),
    "name.n": ('n', '数量'),
    "name.index": ('index', '序号'),
    "name.positions": ('positions', '位置'),
    "name.values": ('values', '取值'),
    "name.value": ('value', '取值'),
    "name.mode": ('mode', '方式'),
    "name.steps": ('steps', '步数'),
    "name.method": ('method', '插值方法'),
    "name.arch": ('arch', '模型'),
    "name.epoch": ('epoch', '训练轮次'),
    "name.recipe": ('recipe', '训练方案'),
    "name.epochs": ('epochs', '训练轮数'),
    "name.training_seed": ('training seed', '训练随机数种子'),
    "name.psi": ('psi', '截断系数 ψ'),
    "name.settings": ('settings', '训练设置'),
    "name.d_steps": ('d_steps (D steps per batch)', 'd_steps（判别器每批更新次数）'),
    "name.g_steps": ('g_steps (G steps per batch)', 'g_steps（生成器每批更新次数）'),
    "name.loss": ('loss', '损失函数 loss'),
    "name.real_range": ('real_range', '真实图像取值范围 real_range'),
    "name.optimizer_g": ('optimizer_g', '生成器优化器 optimizer_g'),
    "name.optimizer_d": ('optimizer_d', '判别器优化器 optimizer_d'),
    "name.lr_g": ("lr_g (G's learning rate)", '生成器学习率 lr_g'),
    "name.lr_d": ("lr_d (D's learning rate)", '判别器学习率 lr_d'),
    "name.batch_size": ('batch_size', '批大小 batch_size'),
    "name.beta1": ("beta1 (Adam's momentum)", 'Adam 动量 beta1'),
    "name.preset": ('preset', '预设'),
    "name.action": ('action', '操作'),
    "name.label_smoothing": ('label_smoothing', '标签平滑 label_smoothing'),
    "name.ema_decay": ('ema_decay', '滑动平均衰减率 ema_decay'),
    "name.r1_gamma": ('r1_gamma', 'R1 惩罚权重 r1_gamma'),
    "name.direction": ('direction', '方向'),
    "name.amounts": ('amounts', '幅度'),
    # Train tab: presets that teach (gan/presets.py), each a failure with its fix one click away
    "preset.fix": ('Apply the fix', '应用修正'),
    "preset.choose": (
        'Presets that teach: each shows one way a GAN fails; read what to look for, Train, then apply the fix and '
        'Train again', '教学预设：每个预设展示 GAN 失败的一种方式；先看提示，训练，再应用修正后重新训练'),
    "preset.d_too_strong": ('D too strong', '判别器太强'),
    "preset.d_too_strong.look": (
        'D learns ten times faster than G, so it wins nearly every round: its outputs on real and on generated images '
        'drift apart while FD stays high and the samples stay smudges, because a D that is always sure of itself '
        'gives G little to learn from. The fix gives G the same learning rate as D.',
        '判别器的学习率是生成器的十倍，几乎每一轮都是判别器赢：它对真实图像和生成图像的输出越拉越开，FD 却一直很高，'
        '样本始终是模糊的一团，因为总有十足把握的判别器几乎给不了生成器可学的东西。修正：让生成器的学习率与判别器相同。'),
    "preset.g_too_fast": ('G too fast', '生成器太快'),
    "preset.g_too_fast.look": (
        "G takes five steps on every batch to D's one, so it chases whatever fools D at that moment instead of "
        "learning the garments: FD ends well above the fixed run's and the samples crowd into fewer classes. The fix "
        'lets G take one step per batch, as D does.',
        '每个批次上生成器走五步，判别器只走一步，于是生成器一味追逐此刻能骗过判别器的东西，而不是学会画衣物：FD '
        '最终明显高于修正后的训练，样本也挤进更少的类别。修正：让生成器每个批次只走一步，和判别器一样。'),
    "preset.range_mismatch": ("The report's range mismatch", '报告中的取值范围不匹配'),
    "preset.range_mismatch.look": (
        "This is the report's recipe, sped up (SGD at 0.1 on batches of 32): real images stay in [0, 1] while G's "
        "tanh draws in [-1, 1], so G learns to "
        'paint on a grey background and D can spot a fake by its pixel range alone: FD stays far above the fixed '
        "run's and almost every sample is classified as one garment. The fix scales the real images to [-1, 1], "
        'the range G draws in.',
        '这就是报告的方案（加快了：SGD 学习率 0.1，批大小 32）：真实图像的取值在 [0, 1]，生成器的 tanh 却在 [-1, 1] 中作画，于是生成器学会在灰色背景上'
        '作画，判别器仅凭像素的取值范围就能认出假图：FD 一直远高于修正后的训练，几乎所有样本都被判为同一种衣物。'
        '修正：把真实图像缩放到 [-1, 1]，与生成器的取值范围一致。'),
    "preset.mode_collapse": ('Mode collapse', '模式崩溃'),
    "preset.mode_collapse.look": (
        "Adam's momentum at 0.9 (beta1, its usual default) keeps pushing G the way that fooled D last, so the "
        'samples pile into two or three garments: the class histogram shows few classes above 5% and its entropy '
        'stays low, whatever the loss says. The fix lowers beta1 to 0.5, as the DCGAN paper does.',
        'Adam 的动量取 0.9（beta1，它通常的默认值）时，生成器会一直朝上次骗过判别器的方向冲，样本于是挤进两三种衣物：'
        '类别分布中占比超过 5% 的类别很少，熵也一直很低，无论损失看起来如何。修正：像 DCGAN 论文那样把 beta1 降到 0.5。'),
    **{f"class.{i}": names for i, names in enumerate(zip(CLASSES, ("T恤/上衣", "裤子", "套头衫", "连衣裙", "外套",
                                                                 "凉鞋", "衬衫", "运动鞋", "包", "短靴")))},
}


def language(accept_language) -> str:
    """An Accept-Language header -> "zh-CN" when Chinese is the first language it asks for, else
    "en". Every Chinese tag maps to zh-CN: it is the only Chinese offered."""
    first = (accept_language or "").split(",")[0].split(";")[0].strip().lower()
    return "zh-CN" if first == "zh" or first.startswith("zh-") else DEFAULT


class Words:
    """Words to be said later, in the visitor's language: a key of STRINGS and its params (plain
    values, or Words themselves). Handlers put them in what they return, so that what they
    compute is the same in every language; gan.ui.say renders them at the boundary."""
    __slots__ = ("key", "params")

    def __init__(self, key: str, **params):
        self.key, self.params = key, params

    def __repr__(self):
        return f"Words({self.key!r}, {self.params!r})"

    def said(self, lang: str) -> str:
        return t(lang, self.key, **{k: v.said(lang) if isinstance(v, Words) else v for k, v in self.params.items()})


class Said:
    """Page text built later, in the visitor's language: fn(lang) -> str (HTML of several Words,
    such as the Train tab's meters). gan.ui.say renders it at the boundary, as Words."""
    __slots__ = ("fn",)

    def __init__(self, fn):
        self.fn = fn

    def said(self, lang: str) -> str:
        return self.fn(lang)


def label(class_index: int, p: float) -> Words:
    """'Trouser 97%': a class and the classifier's probability of it."""
    return Words("cap.label", cls=Words(f"class.{int(class_index)}"), p=f"{100 * float(p):.0f}")


def t(lang: str, key: str, **params) -> str:
    """The string `key` in `lang`, its {placeholders} filled from the limits and params."""
    return STRINGS[key][LANGUAGES.index(lang)].format(**{**LIMITS, **params})


def class_name(lang: str, index: int) -> str:
    return t(lang, f"class.{int(index)}")


def page(lang: str, **facts) -> dict:
    """Every key as the static page shows it (placeholders filled, facts overriding LIMITS, e.g.
    the app's cap_s): what gr.I18n receives."""
    return {key: t(lang, key, **facts) for key in STRINGS if not key.startswith(SERVER_ONLY)}


def message(lang: str, error) -> str:
    """A bad-input error in `lang`: its name (when a name.* key has it: scripts may check
    values of their own) and any described value translated too."""
    params = {k: (t(lang, f"name.{v}") if k == "name" and f"name.{v}" in STRINGS else
                  t(lang, v[0], **v[1]) if isinstance(v, tuple) else v) for k, v in error.params.items()}
    return t(lang, f"error.{error.key}", **params)
