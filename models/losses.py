"""Training losses and the evaluation metrics of the deraining literature.

SSIM uses an 11 x 11 Gaussian window (sigma 1.5) over the valid region, with
C1 = (0.01 L)^2 and C2 = (0.03 L)^2 for data range L = 1. The metrics follow
the published protocol: BT.601 luma as MATLAB's rgb2ycbcr computes it, a
4-pixel border cropped, outputs quantised to 8 bits as if saved as PNG.
"""

import torch
import torch.nn as nn
import torch.nn.functional as F

LOSSES = ("ssim", "l1", "l1+ssim")
_Y_WEIGHTS = (65.481 / 255.0, 128.553 / 255.0, 24.966 / 255.0)


def _gaussian_window(channels, size, sigma, like):
    x = torch.arange(size, dtype=like.dtype, device=like.device) - (size - 1) / 2
    g = torch.exp(-x ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return (g[:, None] * g[None, :]).expand(channels, 1, size, size).contiguous()


def ssim(x, y, size=11, sigma=1.5):
    """Mean SSIM of N x C x H x W images with values in [0, 1], per image: a tensor [N]."""
    c = x.shape[1]
    window = _gaussian_window(c, size, sigma, x)

    def blur(t):
        return F.conv2d(t, window, groups=c)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx * mx, blur(y * y) - my * my, blur(x * y) - mx * my
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2))
    return s.flatten(1).mean(1)


class Loss(nn.Module):
    """'ssim': 1 - SSIM (the paper's loss); 'l1'; 'l1+ssim': their sum."""

    def __init__(self, name):
        super().__init__()
        if name not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {name!r}")
        self.name = name

    def forward(self, output, target):
        loss = output.new_zeros(())
        if "l1" in self.name:
            loss = loss + F.l1_loss(output, target)
        if "ssim" in self.name:
            loss = loss + 1.0 - ssim(output, target).mean()
        return loss


def luma(rgb):
    """BT.601 luma in [16/255, 235/255] of N x 3 x H x W RGB in [0, 1]: N x 1 x H x W."""
    w = torch.tensor(_Y_WEIGHTS, dtype=rgb.dtype, device=rgb.device)
    return 16.0 / 255.0 + (rgb * w[:, None, None]).sum(1, keepdim=True)


def y_metrics(output, target, border=4):
    """(PSNR in dB, SSIM) on the Y channel of one image pair (3 x H x W, RGB in [0, 1]);
    output is clamped and quantised to 8 bits first."""
    output = torch.round(output.clamp(0.0, 1.0) * 255.0) / 255.0
    yo, yt = luma(output[None].double()), luma(target[None].double())
    if border:
        yo, yt = yo[..., border:-border, border:-border], yt[..., border:-border, border:-border]
    mse = torch.mean((yo - yt) ** 2).item()
    psnr = float("inf") if mse == 0 else 10.0 * torch.log10(torch.tensor(1.0 / mse)).item()
    return psnr, ssim(yo, yt).item()
