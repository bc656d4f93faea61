"""The compact CNN and the wrapper that is exported to ONNX.

A plain stack of 3x3 conv + batch norm + ReLU blocks, downsampling by stride, ending in
global average pooling and one linear unit (the pneumonia logit). Because the head is
linear after a global average pool, the class activation map (Zhou et al. 2016) is
exact: the mean of the CAM equals the logit.
"""

from __future__ import annotations

import torch
from torch import nn

# (out channels, stride) per block; input is 1 x 224 x 224, output 128 x 14 x 14.
BLOCKS = ((16, 2), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1))


def _block(cin: int, cout: int, stride: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, 3, stride, 1, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PneumoNet(nn.Module):
    def __init__(self, dropout: float = 0.2):
        super().__init__()
        layers, cin = [], 1
        for cout, stride in BLOCKS:
            layers.append(_block(cin, cout, stride))
            cin = cout
        self.features = nn.Sequential(*layers)
        self.dropout = nn.Dropout(dropout)
        self.head = nn.Linear(cin, 1)

    @property
    def feature_dim(self) -> int:
        return self.head.in_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Logits, shape (N,)."""
        pooled = self.features(x).mean((2, 3))
        return self.head(self.dropout(pooled)).squeeze(1)

    def pooled(self, x: torch.Tensor) -> torch.Tensor:
        return self.features(x).mean((2, 3))


class Exported(nn.Module):
    """What ships: logit, class activation map and the gate's feature distance.

    Outputs, for a batch of one 1 x 224 x 224 normalised image:
      logit (1, 1)       pneumonia logit; probability = sigmoid(logit)
      cam   (1, 1, h, w) class activation map in logit units; mean(cam) == logit
      ood   (1, 1)       squared Mahalanobis distance of the pooled features from the
                         training distribution (the out-of-distribution gate's score)
    """

    def __init__(self, net: PneumoNet, feature_mean: torch.Tensor, whitening: torch.Tensor):
        super().__init__()
        self.features = net.features
        self.register_buffer("weight", net.head.weight.detach().reshape(1, -1, 1, 1).clone())
        self.register_buffer("bias", net.head.bias.detach().reshape(1, 1, 1, 1).clone())
        self.register_buffer("feature_mean", feature_mean.reshape(1, -1).clone())
        self.register_buffer("whitening", whitening.clone())

    def forward(self, x: torch.Tensor):
        maps = self.features(x)
        cam = (maps * self.weight).sum(1, keepdim=True) + self.bias
        logit = cam.mean((2, 3))
        z = (maps.mean((2, 3)) - self.feature_mean) @ self.whitening
        ood = (z * z).sum(1, keepdim=True)
        return logit, cam, ood


def count_macs(net: nn.Module, size: int) -> int:
    """Multiply-accumulates of one forward pass of a 1 x size x size input (convs and linears)."""
    total = 0

    def conv_hook(module, _inputs, output):
        nonlocal total
        kh, kw = module.kernel_size
        total += output.numel() * (module.in_channels // module.groups) * kh * kw

    def linear_hook(module, _inputs, output):
        nonlocal total
        total += output.numel() * module.in_features

    hooks = []
    for module in net.modules():
        if isinstance(module, nn.Conv2d):
            hooks.append(module.register_forward_hook(conv_hook))
        elif isinstance(module, nn.Linear):
            hooks.append(module.register_forward_hook(linear_hook))
    with torch.no_grad():
        net.eval()(torch.zeros(1, 1, size, size))
    for hook in hooks:
        hook.remove()
    return total
