"""The EMA of G that the tuned recipe saves, and the BatchNorm statistics it is saved with."""
import copy

import torch

RECALIBRATION_SEED = 2025  # the latents BatchNorm is recalibrated on (the sample grid's seed + 1)


@torch.no_grad()
def ema_update(ema, G, decay: float):
    for pe, p in zip(ema.parameters(), G.parameters()):
        pe.lerp_(p, 1.0 - decay)
    for be, b in zip(ema.buffers(), G.buffers()):  # BatchNorm statistics follow G
        be.copy_(b)


@torch.no_grad()
def recalibrate_bn(G, z_dim: int, device, n: int = 4096, batch: int = 256):
    """Recompute BatchNorm running statistics for (EMA) weights: a cumulative average over
    fresh latents, so eval-mode sampling matches the weights actually saved."""
    bns = [m for m in G.modules() if isinstance(m, torch.nn.modules.batchnorm._BatchNorm)]
    if not bns:
        return G
    g = torch.Generator().manual_seed(RECALIBRATION_SEED)
    momenta = [m.momentum for m in bns]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None  # cumulative moving average
    G.train()
    for _ in range(n // batch):
        G(torch.randn(batch, z_dim, generator=g).to(device))
    for m, mom in zip(bns, momenta):
        m.momentum = mom
    return G.eval()


def sampling_copy(ema, cfg):
    """The generator to sample from and save: an eval-mode copy with recalibrated BatchNorm."""
    G = copy.deepcopy(ema)
    return recalibrate_bn(G, G.z_dim, cfg.device) if cfg.ema_decay > 0 else G.eval()
