"""The model card a push uploads (README.md of a model repo): YAML metadata with model-index, and
the story of the run: how to load it, the architecture, the recipe, the metrics."""
from pathlib import Path

import torch

from gan import hubdata, weights
from gan.models import ARCHS

DATASET_ID = "zalando-datasets/fashion_mnist"
CARD_METRICS = [("fd", "FD (classifier features)"), ("precision", "precision (k=3)"), ("recall", "recall (k=3)"),
                ("density", "density (k=5)"), ("coverage", "coverage (k=5)"), ("is", "classifier Inception Score")]
FID_NAME = "Inception FID (10k samples vs the 10k test images; lower is better)"
FID_TEXT = """
Inception FID, on the protocol of Lucic et al. 2018 ("Are GANs Created Equal?"): {fid:.2f} (lower
is better). {n:,} samples against the 10,000 test images, grayscale to 3 channels, 28 -> 299 as TF1's
resize_bilinear, pool3 of the TF-ported Inception-v3 (2015-12-05), float64 Frechet distance
(`benchmarks/fid.py`). Their InfoGAN-sized networks, each a mean over many runs: NS-GAN 26.5,
WGAN 21.5, BEGAN 22.9, WGAN-GP 24.5, LSGAN 30.7, MM-GAN 29.6; this is one run of other networks.
"""

def saved_generator(ema_decay, G) -> str:
    """What the folder holds as G, as training saved it (gan.ema.sampling_copy): with an EMA (decay
    > 0) the average, its BatchNorm statistics (where G has BatchNorm) recomputed for it; without
    one G itself, its statistics the running ones of training."""
    if ema_decay is None:  # a summary without the run's config: say nothing it cannot back
        return ""
    has_bn = any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in G.modules())
    if ema_decay > 0:
        return (f"The saved generator is the EMA copy of G (decay {ema_decay})."
                + (" Its BatchNorm statistics were recalibrated on fresh latents for the averaged weights."
                   if has_bn else ""))
    return ("The saved generator is G itself, as training left it: no EMA."
            + (" Its BatchNorm statistics are the running averages training kept." if has_bn else ""))


def own_data(data) -> str:
    """The sentence naming a run's data when it was not Fashion-MNIST (train.py --data), else ''."""
    if not data or data.get("source", "fashion-mnist") == "fashion-mnist":
        return ""
    return (f"\nIt was trained not on Fashion-MNIST but on {data.get('images', '?')} images of its own "
            f"({data_name(data)}, made Fashion-MNIST-like; sha256 of its files "
            f"`{data.get('sha256', '?')}`): any metrics below compare it with Fashion-MNIST's test images.\n")


def data_name(data) -> str:
    """Where own data came from, as the card names it: a Hub dataset linked at its commit, or a file name."""
    source = str(data.get("source"))
    if source.startswith(hubdata.PREFIX):
        repo, commit = hubdata.parse(source)
        return f"the Hub dataset [{repo}](https://huggingface.co/datasets/{repo}) at commit `{commit[:12]}`"
    return f"`{Path(source).name}`"


def model_card(folder, repo_id: str) -> str:
    """README.md for a model folder: YAML metadata (with model-index) and the story of the run."""
    from huggingface_hub import EvalResult, ModelCardData
    folder = Path(folder)
    cfg = weights.read_json(folder, weights.CONFIG_FILE, {})
    arch = cfg.get("arch")
    if arch not in ARCHS:
        raise ValueError(f"{folder / weights.CONFIG_FILE} names no known arch")
    summary = weights.read_json(folder, "summary.json", {}) or {}
    own = cfg.get("data") or summary.get("data")
    own = own if own_data(own) else None  # train.py --data: not Fashion-MNIST
    source = str((own or {}).get("source"))
    hub_repo = hubdata.parse(source)[0] if source.startswith(hubdata.PREFIX) else None
    metrics, fid = summary.get("metrics", {}), summary.get("inception_fid")  # fid: written by benchmarks/fid.py
    G, D = (cls() for cls in ARCHS[arch])
    name = repo_id.split("/")[-1]
    data = ModelCardData(
        library_name="pytorch", license="mit", pipeline_tag="unconditional-image-generation",
        tags=["gan", "pytorch", "pytorch_model_hub_mixin"] + ([] if own else ["fashion-mnist"]),
        datasets=[hub_repo] if hub_repo else None if own else [DATASET_ID],
        model_name=name,
        eval_results=[EvalResult(task_type="unconditional-image-generation", dataset_type=DATASET_ID,
                                 dataset_name="Fashion-MNIST", dataset_split="test", metric_type=key,
                                 metric_name=label, metric_value=round(float(metrics[key]), 4))
                      for key, label in CARD_METRICS if key in metrics]
                     + ([EvalResult(task_type="unconditional-image-generation", dataset_type=DATASET_ID,
                                    dataset_name="Fashion-MNIST", dataset_split="test", metric_type="fid",
                                    metric_name=FID_NAME, metric_value=fid["fid"])] if fid else []) or None,
    )
    recipe = summary.get("config", {})
    rows = "\n".join(f"| {k} | {v} |" for k, v in recipe.items() if v is not None)
    metric_rows = "\n".join(f"| {label} | {metrics[key]:.4f} |" for key, label in CARD_METRICS if key in metrics)
    cls_name = ARCHS[arch][0].__name__
    body = f"""
# {name}: the course report's {arch.upper()} GAN on {"its own images" if own else "Fashion-MNIST"}

A small GAN from a course report on GANs, trained on {"its own images" if own else "Fashion-MNIST"} with the
[Fashion-MNIST GAN Explorer](https://huggingface.co/spaces) code (`train.py --arch {arch}{" --data ..." if own else ""}`).
Generator input: z of shape (N, {cfg.get('z_dim', 100)}), standard normal; output: (N, 1, 28, 28) in [-1, 1].
{own_data(own)}
## Load it

```python
import torch
from gan.models import {cls_name}     # the gan/ package of the project's repository
G = {cls_name}.from_pretrained("{repo_id}").eval()
images = G(torch.randn(8, 100))         # (8, 1, 28, 28) in [-1, 1]
```

Or without torch: `model.onnx` (exported from these weights; its metadata `model_sha256` is the sha256
of `model.safetensors`) gives the float image and its uint8 pixels, as the app draws them:

```python
import numpy as np, onnxruntime as ort
session = ort.InferenceSession("model.onnx")  # hf_hub_download("{repo_id}", "model.onnx")
image, pixels = session.run(["image", "pixels"], {{"z": np.random.randn(8, 100).astype(np.float32)}})
```

In a browser, onnxruntime-web runs the same file (the Space's Latent lab does):
`await (await ort.InferenceSession.create(url)).run({{z: new ort.Tensor("float32", z, [1, 100])}})`.

![samples](samples.png)

## Architecture

```
{G}
{D}
```

## Training

{summary.get('epochs', '?')} epochs, {summary.get('wall_seconds', 0) / 60:.1f} minutes on {summary.get('machine', '?')}
(torch {summary.get('torch', '?')}). {saved_generator(recipe.get('ema_decay'), G)}

| setting | value |
|---|---|
{rows}

![loss and FD per epoch](curves.svg)

## Evaluation

Metrics in the feature space of a Fashion-MNIST classifier (see the project README), {metrics.get('n', 10000)}
generated samples vs the 10k test images.

| metric | value |
|---|---|
{metric_rows}
""" + (FID_TEXT.format(**fid) if fid else "")
    return f"---\n{data.to_yaml()}\n---\n{body}"
