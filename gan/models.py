"""The course report's two GANs, exactly as it prints them.

Module names (fc1/nonlin1/fc2, main.N) and shapes are the published interface: `print(model)`
and the state_dict keys match the report. Every generator maps z (N, 100) to images
(N, 1, 28, 28) in [-1, 1]; every discriminator maps images to a probability (N,) and has
`logits()` for training (the loss is computed on logits for numerical stability).

Saving and loading go through huggingface_hub's PyTorchModelHubMixin (config.json +
model.safetensors), the only import here besides torch.
"""
import torch
from torch import nn
from huggingface_hub import PyTorchModelHubMixin

Z_DIM = 100
IMG_SHAPE = (1, 28, 28)
IMG_DIM = 28 * 28
HUB_KWARGS = dict(library_name="pytorch", license="mit", tags=["gan", "fashion-mnist", "pytorch"])


class _ReportName:
    """Print as the report does: 'Generator' / 'Discriminator', whatever the Python class. torch's
    repr of a module starts with its class's name (tests/test_models.py checks the whole text)."""
    report_name = ""

    def __repr__(self):
        return self.report_name + super().__repr__().removeprefix(type(self).__name__)


class MLPDiscriminator(_ReportName, nn.Module, PyTorchModelHubMixin, **HUB_KWARGS):
    report_name = "Discriminator"

    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(IMG_DIM, 128)
        self.nonlin1 = nn.LeakyReLU(0.2)
        self.fc2 = nn.Linear(128, 1)

    def logits(self, x):
        x = x.reshape(x.size(0), IMG_DIM)             # (N, 1, 28, 28) -> (N, 784)
        return self.fc2(self.nonlin1(self.fc1(x))).view(-1)  # (N,)

    def forward(self, x):
        return torch.sigmoid(self.logits(x))


class MLPGenerator(_ReportName, nn.Module, PyTorchModelHubMixin, **HUB_KWARGS):
    report_name = "Generator"

    def __init__(self, z_dim: int = Z_DIM):
        super().__init__()
        self.z_dim = z_dim
        self.fc1 = nn.Linear(z_dim, 128)
        self.nonlin1 = nn.LeakyReLU(0.2)
        self.fc2 = nn.Linear(128, IMG_DIM)

    def forward(self, z):
        x = torch.tanh(self.fc2(self.nonlin1(self.fc1(z))))  # (N, 784), tanh as in the course template
        return x.view(-1, *IMG_SHAPE)                          # (N, 1, 28, 28)


class CNNDiscriminator(_ReportName, nn.Module, PyTorchModelHubMixin, **HUB_KWARGS):
    report_name = "Discriminator"

    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(1, 64, 4, 2, 1, bias=False),     # state size (N, 64, 14, 14)
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(64, 128, 4, 2, 1, bias=False),   # state size (N, 128, 7, 7)
            nn.BatchNorm2d(128),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(128, 1, 7, 1, 0, bias=False),    # state size (N, 1, 1, 1)
            nn.Sigmoid(),
        )

    def logits(self, x):
        return self.main[:-1](x).view(-1)               # (N,), everything but the Sigmoid

    def forward(self, x):
        return self.main(x).view(-1)


class CNNGenerator(_ReportName, nn.Module, PyTorchModelHubMixin, **HUB_KWARGS):
    report_name = "Generator"

    def __init__(self, z_dim: int = Z_DIM):
        super().__init__()
        self.z_dim = z_dim
        self.main = nn.Sequential(
            nn.ConvTranspose2d(z_dim, 128, 7, 1, 0, bias=False),  # state size (N, 128, 7, 7)
            nn.BatchNorm2d(128),
            nn.ReLU(True),
            nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False),     # state size (N, 64, 14, 14)
            nn.BatchNorm2d(64),
            nn.ReLU(True),
            nn.ConvTranspose2d(64, 1, 4, 2, 1, bias=False),       # state size (N, 1, 28, 28)
            nn.Tanh(),
        )

    def forward(self, z):
        return self.main(z.view(z.size(0), z.size(1), 1, 1))


ARCHS = {
    "mlp": (MLPGenerator, MLPDiscriminator),
    "cnn": (CNNGenerator, CNNDiscriminator),
}
NAMES = {"mlp": "MLP", "cnn": "CNN"}  # as the app and the report write them


def build(arch: str):
    """Fresh (G, D) for an architecture name; a clear error for an unknown one."""
    if arch not in ARCHS:
        raise ValueError(f"unknown arch {arch!r}: choose one of {', '.join(ARCHS)}")
    G, D = ARCHS[arch]
    return G(), D()
