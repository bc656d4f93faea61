"""The compact CNN and the wrapper that is exported to ONNX.

A plain stack of 3x3 conv + batch norm + ReLU blocks, downsampling by stride, ending in
global average pooling and one linear unit (the pneumonia logit). Because the head is
linear after a global average pool, the class activation map (Zhou et al. 2016) is
exact: the mean of the CAM equals the logit.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# (out channels, stride, kernel) per block; input is 1 x 224 x 224, output C x 14 x 14.
# 1.0.0: eight 3x3 blocks, 322 MFLOPs.
BLOCKS_1 = ((16, 2, 3), (32, 2, 3), (32, 1, 3), (64, 2, 3), (64, 1, 3), (128, 2, 3), (128, 1, 3), (128, 1, 3))
# 2.0.0: every stride-1 3x3 block at 56x56 and 28x28 removed (they cost 36% of 1.0.0's
# multiply-adds for little receptive field), one 3x3 and one 1x1 block at 14x14 instead:
# 155 MFLOPs, 261 k parameters. Few layers, all plain convolutions, which tract runs as
# wide matrix products.
BLOCKS = ((16, 2, 3), (32, 2, 3), (64, 2, 3), (128, 2, 3), (128, 1, 3), (128, 1, 1))


def _block(cin: int, cout: int, stride: int, kernel: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, kernel // 2, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class PneumoNet(nn.Module):
    def __init__(self, dropout: float = 0.2, blocks=BLOCKS):
        super().__init__()
        layers, cin = [], 1
        for cout, stride, kernel in blocks:
            layers.append(_block(cin, cout, stride, kernel))
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

    def gate_features(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Logits, every block's channel means (concatenated), and the 14x14 input layout."""
        means, maps = [], x
        for block in self.features:
            maps = block(maps)
            means.append(maps.mean((2, 3)))
        return self.head(means[-1]).squeeze(1), torch.cat(means, 1), layout(x)


def layout(x: torch.Tensor) -> torch.Tensor:
    """The input averaged down to a 14x14 thumbnail (16x16 blocks), flattened: the image's coarse layout."""
    return F.avg_pool2d(x, 16).flatten(1)


class Gaussian(nn.Module):
    """Squared Mahalanobis distance from a probabilistic-PCA Gaussian (Tipping & Bishop 1999).

    The top-k principal directions V (d x k, smaller than the d x d precision matrix, which
    keeps the ONNX small) carry their own variances lambda; the other d - k directions
    share one variance sigma^2 (inv_residual = 1/sigma^2, 0 when k = d):
        c = f - mean,  z = c V,  d^2 = sum_i z_i^2 / lambda_i + (|c|^2 - |z|^2) / sigma^2
    """

    def __init__(self, mean: torch.Tensor, directions: torch.Tensor, inv_variances: torch.Tensor, inv_residual: float):
        super().__init__()
        self.register_buffer("mean", mean.reshape(1, -1).clone())
        self.register_buffer("directions", directions.clone())
        self.register_buffer("inv_variances", inv_variances.reshape(1, -1).clone())
        self.register_buffer("inv_residual", torch.tensor([[inv_residual]]))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        centred = f - self.mean
        z = centred @ self.directions
        inside = (z * z * self.inv_variances).sum(1, keepdim=True)
        outside = ((centred * centred).sum(1, keepdim=True) - (z * z).sum(1, keepdim=True)).clamp_min(0)
        return inside + outside * self.inv_residual


def folded(block: nn.Sequential, half: bool) -> nn.Sequential:
    """A conv + batch norm + ReLU block as one biased conv + ReLU (batch norm in eval mode
    folded into the weights), its weights rounded to float16 when `half`, so that the
    ONNX can store them in half precision without changing what it computes."""
    conv, bn = block[0], block[1]
    scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
    weight = conv.weight.detach() * scale.reshape(-1, 1, 1, 1)
    bias = bn.bias.detach() - bn.running_mean * scale
    out = nn.Conv2d(conv.in_channels, conv.out_channels, conv.kernel_size, conv.stride, conv.padding, bias=True)
    out.weight.data = to_half_precision(weight) if half else weight.clone()
    out.bias.data = to_half_precision(bias) if half else bias.clone()
    return nn.Sequential(out, nn.ReLU())


def to_half_precision(t: torch.Tensor) -> torch.Tensor:
    """`t` rounded to the nearest float16 values, kept as float32."""
    rounded = t.detach().half().float()
    if not torch.isfinite(rounded).all():
        raise ValueError("a weight does not fit in float16")
    return rounded


class Exported(nn.Module):
    """What ships: logit, class activation map and the gate's two distances.

    Outputs, for a batch of one 1 x 224 x 224 normalised image:
      logit         (1, 1)       pneumonia logit; probability = sigmoid(logit)
      cam           (1, 1, h, w) class activation map in logit units; mean(cam) == logit
      ood_features  (1, 1)       squared Mahalanobis distance of every block's channel means
                                 from the training X-rays' (texture and content)
      ood_layout    (1, 1)       squared Mahalanobis distance of the 14x14 thumbnail from the
                                 training X-rays' (where dark and bright regions lie)
    """

    def __init__(self, net: PneumoNet, features_gate: Gaussian, layout_gate: Gaussian,
                 calibration=(1.0, 0.0), half: bool = False):
        """`calibration` (a, b) maps the trained logit to the calibrated one, a * logit + b
        (Platt scaling), folded into the head so that the CAM's mean is still the logit.
        `half` rounds the network's weights to float16 values (see `folded`); the gates stay
        float32, since their distances subtract nearly equal sums, where float16 directions
        moved the scores by 0.2%."""
        super().__init__()
        a, b = calibration
        self.blocks = nn.Sequential(*(folded(block, half) for block in net.features))
        weight = net.head.weight.detach().reshape(1, -1, 1, 1) * a
        bias = net.head.bias.detach().reshape(1, 1, 1, 1) * a + b
        round_ = to_half_precision if half else (lambda t: t.clone())
        self.register_buffer("weight", round_(weight))
        self.register_buffer("bias", bias.clone())
        self.features_gate = features_gate
        self.layout_gate = layout_gate

    def forward(self, x: torch.Tensor):
        means, maps = [], x
        for block in self.blocks:
            maps = block(maps)
            means.append(maps.mean((2, 3)))
        cam = (maps * self.weight).sum(1, keepdim=True) + self.bias
        logit = cam.mean((2, 3))
        return logit, cam, self.features_gate(torch.cat(means, 1)), self.layout_gate(layout(x))


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
