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


def d_loss_fn(D, real, fake, r1_gamma: float = 0.0, loss: str = "ns-logits", smoothing: float = 0.0):
    """D's loss (see D_LOSSES) on its logits at reals and fakes, plus R1 = gamma/2 * E||grad_x D(x)||^2
    on reals (on the logit); with D(x), D(G(z)) as mean probabilities and D's accuracy on the reals
    and on the fakes. Reals and fakes go through D as two batches, each normalized by its own
    BatchNorm statistics, as the DCGAN example does."""
    if r1_gamma > 0:
        real = real.detach().requires_grad_(True)
    d_real, d_fake = D.logits(real), D.logits(fake)
    total = D_LOSSES[loss](d_real, d_fake, 1.0 - smoothing)
    if r1_gamma > 0:
        (grad,) = torch.autograd.grad(d_real.sum(), real, create_graph=True)
        total = total + 0.5 * r1_gamma * grad.pow(2).flatten(1).sum(1).mean()
    # D(x), D(G(z)) and D's accuracies (a logit above 0: "real") stay tensors: a .item() here would make
    # the CPU wait for the GPU every step
    return (total, torch.sigmoid(d_real).mean().detach(), torch.sigmoid(d_fake).mean().detach(),
            (d_real > 0).float().mean(), (d_fake < 0).float().mean())


def g_loss_fn(D, fake, loss: str = "ns-logits"):
    """G's loss (see G_LOSSES) on D's logits at its fakes."""
    return G_LOSSES[loss](D.logits(fake))


def bce_real(d_real, target: float):
    """BCE(D(x), target) on logits: softplus(-l) for the target 1, as ever."""
    if target == 1.0:
        return F.softplus(-d_real).mean()
    return F.binary_cross_entropy_with_logits(d_real, torch.full_like(d_real, target))


def bce_on_sigmoid(logits, target: float):
    """nn.BCELoss on D's sigmoid output, as the course template computes it (clamped at log 0 = -100)."""
    p = torch.sigmoid(logits)
    return F.binary_cross_entropy(p, torch.full_like(p, target))


# D's losses on logits l_real, l_fake, with target the real images' label (1, or 1 - S smoothed), and G's
# on l_fake. BCE: -t log D(x) - log(1 - D(G(z))); G's is non-saturating, -log D(G(z)). LSGAN (Mao et al.):
# 0.5 E[(l_real - 1)^2] + 0.5 E[l_fake^2], G 0.5 E[(l_fake - 1)^2]. Hinge: E[relu(1 - l_real)] +
# E[relu(1 + l_fake)], G -E[l_fake].
D_LOSSES = {
    "bce-sigmoid": lambda lr, lf, t: bce_on_sigmoid(lr, t) + bce_on_sigmoid(lf, 0.0),
    "ns-logits": lambda lr, lf, t: bce_real(lr, t) + F.softplus(lf).mean(),
    "lsgan": lambda lr, lf, t: 0.5 * (lr - 1).pow(2).mean() + 0.5 * lf.pow(2).mean(),
    "hinge": lambda lr, lf, t: F.relu(1 - lr).mean() + F.relu(1 + lf).mean(),
}
G_LOSSES = {
    "bce-sigmoid": lambda lf: bce_on_sigmoid(lf, 1.0),
    "ns-logits": lambda lf: F.softplus(-lf).mean(),
    "lsgan": lambda lf: 0.5 * (lf - 1).pow(2).mean(),
    "hinge": lambda lf: -lf.mean(),
}
