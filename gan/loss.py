"""The losses: D's and G's, as each recipe computes them, and G's forward pass for training."""
import torch
import torch.nn.functional as F

from gan.models import IMG_SHAPE, CNNGenerator


def g_forward(G, z):
    """G(z) for training: the same function, computed faster for the CNN on CPU. Its first layer
    (ConvTranspose2d 100->128, 7x7, on a 1x1 input) is a matmul and its last (ConvTranspose2d 64->1)
    a matmul + col2im (F.fold); PyTorch's CPU kernels for these two shapes are slower than the
    matmuls (benchmarks/results.md). At inference on 8 images it gains nothing, so sampling keeps
    G(z). Equal to G(z) up to float rounding, gradients included (tests/test_training.py)."""
    if not isinstance(G, CNNGenerator):
        return G(z)
    first, last = G.main[0], G.main[6]
    k = first.kernel_size[0]                                           # 7
    x = z @ first.weight.permute(0, 2, 3, 1).reshape(z.size(1), -1)   # (N, 7*7*128) in (h, w, c) order
    x = x.view(z.size(0), k, k, -1).permute(0, 3, 1, 2)               # (N, 128, 7, 7), channels_last
    x = G.main[1:6](x)                                                 # (N, 64, 14, 14): BN, ReLU, ConvT, BN, ReLU
    cols = x.permute(0, 2, 3, 1).reshape(x.size(0), -1, x.size(1)) @ last.weight.flatten(1)  # (N, 14*14, 4*4)
    x = F.fold(cols.transpose(1, 2), IMG_SHAPE[1:], last.kernel_size, stride=last.stride,
               padding=last.padding)                                  # (N, 1, 28, 28)
    return G.main[7](x)                                                # Tanh


def d_loss_fn(D, real, fake, r1_gamma: float = 0.0, bce_on: str = "logits"):
    """D's loss, BCE(D(x), 1) + BCE(D(G(z)), 0) in the softplus form that is stable on logits
    (or, bce_on="sigmoid", nn.BCELoss on D's sigmoid output as the course template computes it);
    with R1 = gamma/2 * E||grad_x D(x)||^2 on reals. Reals and fakes go through D as two batches,
    each normalized by its own BatchNorm statistics, as the DCGAN example does."""
    if bce_on == "sigmoid":
        p_real, p_fake = D(real), D(fake)
        total = F.binary_cross_entropy(p_real, torch.ones_like(p_real)) + \
            F.binary_cross_entropy(p_fake, torch.zeros_like(p_fake))
        return total, p_real.mean().detach(), p_fake.mean().detach()
    if r1_gamma > 0:
        real = real.detach().requires_grad_(True)
    d_real, d_fake = D.logits(real), D.logits(fake)
    total = F.softplus(-d_real).mean() + F.softplus(d_fake).mean()
    if r1_gamma > 0:
        (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
        total = total + 0.5 * r1_gamma * grad.pow(2).flatten(1).sum(1).mean()
    # D(x), D(G(z)) stay tensors: a .item() here would make the CPU wait for the GPU every step
    return total, torch.sigmoid(d_real).mean().detach(), torch.sigmoid(d_fake).mean().detach()


def g_loss_fn(D, fake, bce_on: str = "logits"):
    """G's non-saturating loss, -log D(G(z)), on logits (or BCE(D(G(z)), 1) on the sigmoid output)."""
    if bce_on == "sigmoid":
        p = D(fake)
        return F.binary_cross_entropy(p, torch.ones_like(p))
    return F.softplus(-D.logits(fake)).mean()
