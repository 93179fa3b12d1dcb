"""ESDNet (spiking deraining network) as a plain-torch reference model.

Follows /work/shared/reference/esdnet-architecture.md. State-dict keys are the
official checkpoint names, so official .pth files load with load_state_dict.

Tensors inside the network are [T, N, C, H, W]; convolutions and batch norms
run on the T*N images at once. LIF layers keep their membrane V between
forward calls: call reset_state() before a frame for per-image semantics
(the paper), or leave V in place to carry it into the next frame.
"""

import inspect
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

SURROGATE_ALPHA = 4.0


class SigmoidSurrogateSpike(torch.autograd.Function):
    """Heaviside step (x >= 0 fires) with spikingjelly's sigmoid surrogate gradient."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return (x >= 0).to(x.dtype)

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        sg = torch.sigmoid(SURROGATE_ALPHA * x)
        return grad_output * SURROGATE_ALPHA * sg * (1.0 - sg)


class LIF(nn.Module):
    """Multi-step LIF neuron, decay_input=False, hard reset to 0.

    H = V * (1 - 1/tau) + I_t;  S_t = [H >= v_threshold];  V = H * (1 - S_t).
    The reset stays differentiable (spikingjelly's default, detach_reset=False).
    """

    def __init__(self, tau, v_threshold):
        super().__init__()
        self.tau = float(tau)
        self.v_threshold = float(v_threshold)
        self.v = None
        # Statistics of the last forward, for fixtures and firing-rate checks.
        self.spike_count = None
        self.neuron_steps = 0

    def reset_state(self):
        self.v = None

    def detach_state(self):
        if self.v is not None:
            self.v = self.v.detach()

    def forward(self, x):
        if self.v is None:
            v = torch.zeros_like(x[0])
        elif self.v.shape != x.shape[1:]:
            raise ValueError(
                f"LIF membrane has shape {tuple(self.v.shape)} but the input step is "
                f"{tuple(x.shape[1:])}; carrying state needs identical sizes "
                "(call reset_state() first)")
        else:
            v = self.v
        decay = 1.0 - 1.0 / self.tau
        spikes = []
        for t in range(x.shape[0]):
            h = v * decay + x[t]
            s = SigmoidSurrogateSpike.apply(h - self.v_threshold)
            v = h * (1.0 - s)
            spikes.append(s)
        self.v = v
        out = torch.stack(spikes)
        self.spike_count = out.detach().sum()
        self.neuron_steps = out.numel()
        return out


class Conv2d(nn.Conv2d):
    """nn.Conv2d that also accepts zero input or output channels.

    Hidden sizes such as C // 8 can be 0 for small models; torch refuses such
    convolutions, but mathematically the result is just the bias (or nothing).
    """

    def reset_parameters(self):
        if self.weight.numel():
            super().reset_parameters()
        elif self.bias is not None:
            nn.init.zeros_(self.bias)

    def _conv_forward(self, input, weight, bias):
        if weight.numel():
            return super()._conv_forward(input, weight, bias)
        n, _, h, w = input.shape
        (kh, kw), (sh, sw), (ph, pw) = self.kernel_size, self.stride, self.padding
        out = input.new_zeros(n, self.out_channels, (h + 2 * ph - kh) // sh + 1,
                              (w + 2 * pw - kw) // sw + 1)
        if bias is not None:
            out = out + bias.view(1, -1, 1, 1)
        return out


class TimeConv2d(Conv2d):
    """Conv2d applied to every timestep of a [T, N, C, H, W] tensor."""

    def forward(self, x):
        y = super().forward(x.flatten(0, 1))
        return y.view(x.shape[0], x.shape[1], *y.shape[1:])


class TimeBatchNorm2d(nn.BatchNorm2d):
    """BatchNorm2d over the T*N images of a [T, N, C, H, W] tensor.

    An optional second set of statistics, rest_mean and rest_var, normalises
    (in eval mode) the frames whose membranes start at rest: the first frame
    after a reset fires differently from frames with carried membranes, so
    one set of statistics suits reset mode or carry mode, not both. ESDNet
    sets at_rest before every frame.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.register_buffer("rest_mean", None)
        self.register_buffer("rest_var", None)
        self.at_rest = False

    def set_rest_statistics(self, mean, var):
        self.rest_mean = mean.detach().clone()
        self.rest_var = var.detach().clone()

    def forward(self, x):
        flat = x.flatten(0, 1)
        if self.at_rest and self.rest_mean is not None and not self.training:
            y = F.batch_norm(flat, self.rest_mean, self.rest_var, self.weight, self.bias,
                             False, 0.0, self.eps)
        else:
            y = super().forward(flat)
        return y.view(x.shape)


class Pointwise(nn.Module):
    """The bias-free 1x1x1 Conv3d of the official MDA MLPs, applied to pooled vectors.

    Holds the weight with the official [out, in, 1, 1, 1] shape; works for
    out or in = 0 (then the MLP contributes 0 and its gate is sigmoid(0)).
    """

    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(out_features, in_features, 1, 1, 1))
        if self.weight.numel():
            nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))

    def forward(self, v):  # v: [N, in]
        return v @ self.weight.flatten(1).t()


def _shared_mlp(channels, hidden):
    return nn.Sequential(Pointwise(channels, hidden), nn.ReLU(), Pointwise(hidden, channels))


class TemporalAttention(nn.Module):
    def __init__(self, timesteps, reduction):
        super().__init__()
        self.sharedMLP = _shared_mlp(timesteps, timesteps // reduction)

    def forward(self, z):
        avg = z.mean(dim=(2, 3, 4)).t()  # [N, T]
        mx = z.amax(dim=(2, 3, 4)).t()
        g = torch.sigmoid(self.sharedMLP(avg) + self.sharedMLP(mx))
        return z * g.t()[:, :, None, None, None]


class ChannelAttention(nn.Module):
    def __init__(self, channels, reduction):
        super().__init__()
        self.sharedMLP = _shared_mlp(channels, channels // reduction)

    def forward(self, z):
        avg = z.mean(dim=(0, 3, 4))  # [N, C]
        mx = z.amax(dim=(0, 3, 4))
        g = torch.sigmoid(self.sharedMLP(avg) + self.sharedMLP(mx))
        return z * g[None, :, :, None, None]


class SpatialAttention(nn.Module):
    def __init__(self, kernel_size=3):
        super().__init__()
        self.conv = nn.Conv2d(2, 1, kernel_size, padding=kernel_size // 2, bias=False)

    def forward(self, z):
        pooled = torch.stack([z.mean(dim=(0, 2)), z.amax(dim=(0, 2))], dim=1)  # [N, 2, H, W]
        s = torch.sigmoid(self.conv(pooled))  # [N, 1, H, W], shared by every t and channel
        return z * s.unsqueeze(0)


class MultiDimensionalAttention(nn.Module):
    def __init__(self, channels, timesteps, reduction_t, reduction_c):
        super().__init__()
        self.ta = TemporalAttention(timesteps, reduction_t)
        self.ca = ChannelAttention(channels, reduction_c)
        self.sa = SpatialAttention()

    def forward(self, z):
        return F.relu(self.sa(self.ca(self.ta(z))))


def _conv_bn(cin, cout, kernel_size, stride=1, bn_eps=1e-5):
    return [TimeConv2d(cin, cout, kernel_size, stride=stride, padding=kernel_size // 2, bias=False),
            TimeBatchNorm2d(cout, eps=bn_eps)]


class SpikingResidualBlock(nn.Module):
    """Y = MDA(residual(X) + shortcut(X)) + X; the shortcut reads the real-valued X."""

    def __init__(self, channels, lif_args, timesteps, reduction_t, reduction_c, bn_eps):
        super().__init__()
        self.residual = nn.Sequential(
            LIF(*lif_args), *_conv_bn(channels, channels, 3, bn_eps=bn_eps),
            LIF(*lif_args), *_conv_bn(channels, channels, 3, bn_eps=bn_eps))
        self.shortcut = nn.Sequential(*_conv_bn(channels, channels, 3, bn_eps=bn_eps))
        self.attn = MultiDimensionalAttention(channels, timesteps, reduction_t, reduction_c)

    def forward(self, x):
        return self.attn(self.residual(x) + self.shortcut(x)) + x


class Down(nn.Module):
    def __init__(self, channels, lif_args, bn_eps):
        super().__init__()
        self.maxpool_conv = nn.Sequential(
            LIF(*lif_args), *_conv_bn(channels, 2 * channels, 3, stride=2, bn_eps=bn_eps))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    def __init__(self, channels, lif_args, bn_eps):
        super().__init__()
        self.up = nn.Sequential(LIF(*lif_args),
                                *_conv_bn(channels, channels // 2, 3, bn_eps=bn_eps))

    def forward(self, x):
        y = F.interpolate(x.flatten(0, 1), scale_factor=2, mode="bilinear", align_corners=False)
        return self.up(y.view(x.shape[0], x.shape[1], *y.shape[1:]))


class PatchEmbed(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.proj = nn.Conv2d(3, dim, 3, padding=1, bias=False)

    def forward(self, x):
        return self.proj(x)


class FeatureRefinement(nn.Module):
    """FRB(F) = (1 - t) * a + t * F, with a the channel weights themselves (not a * F)."""

    def __init__(self, channels, reduction):
        super().__init__()
        hidden = channels // reduction
        self.ca = nn.Sequential(
            nn.AdaptiveAvgPool2d(1),
            Conv2d(channels, hidden, 1), nn.ReLU(), Conv2d(hidden, channels, 1),
            nn.Sigmoid())
        self.sa = nn.Sequential(
            Conv2d(channels, channels, 3, padding=1), Conv2d(channels, hidden, 3, padding=1),
            nn.ReLU(), Conv2d(hidden, channels, 3, padding=1), nn.Sigmoid())

    def forward(self, f):
        a = self.ca(f)
        t = self.sa(f)
        return (1 - t) * a + t * f


class ESDNet(nn.Module):
    def __init__(self, dim=24, enc_blocks=(4, 4, 6), dec_blocks=(4, 4, 6), timesteps=4, tau=2.0,
                 v_threshold=0.15, reduction_t=4, reduction_c=16, refine_reduction=8, bn_eps=1e-5):
        super().__init__()
        self._config = with_defaults(dict(
            dim=dim, enc_blocks=enc_blocks, dec_blocks=dec_blocks, timesteps=timesteps, tau=tau,
            v_threshold=v_threshold, reduction_t=reduction_t, reduction_c=reduction_c,
            refine_reduction=refine_reduction, bn_eps=bn_eps))
        c = self._config
        self.timesteps = c["timesteps"]
        lif = (c["tau"], c["v_threshold"])
        bn_eps = c["bn_eps"]
        enc_blocks, dec_blocks = c["enc_blocks"], c["dec_blocks"]

        def level(channels, n):
            return nn.Sequential(*[
                SpikingResidualBlock(channels, lif, c["timesteps"], c["reduction_t"],
                                     c["reduction_c"], bn_eps)
                for _ in range(n)])

        d = c["dim"]
        # Submodules are declared in execution order: lif_layers() relies on it.
        self.patch_embed = PatchEmbed(d)
        self.encoder_level1 = level(d, enc_blocks[0])
        self.down1_2 = Down(d, lif, bn_eps)
        self.encoder_level2 = level(2 * d, enc_blocks[1])
        self.down2_3 = Down(2 * d, lif, bn_eps)
        self.encoder_level3 = level(4 * d, enc_blocks[2])
        self.decoder_level3 = level(4 * d, dec_blocks[2])
        self.up3_2 = Up(4 * d, lif, bn_eps)
        self.reduce_chan_level2 = nn.Sequential(LIF(*lif),
                                                *_conv_bn(4 * d, 2 * d, 1, bn_eps=bn_eps))
        self.decoder_level2 = level(2 * d, dec_blocks[1])
        self.up2_1 = Up(2 * d, lif, bn_eps)
        self.decoder_level1 = level(2 * d, dec_blocks[0])
        self.refinement = FeatureRefinement(2 * d, c["refine_reduction"])
        self.output = nn.Sequential(nn.Conv2d(2 * d, 3, 3, padding=1, bias=True))

    def config(self):
        return dict(self._config)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def lif_layers(self):
        return [(name, m) for name, m in self.named_modules() if isinstance(m, LIF)]

    def batch_norms(self):
        return [m for m in self.modules() if isinstance(m, TimeBatchNorm2d)]

    def has_rest_statistics(self):
        return any(m.rest_mean is not None for m in self.batch_norms())

    def enable_rest_statistics(self):
        """Gives every BatchNorm rest statistics, copies of its running ones
        (to be overwritten, e.g. by load_state_dict)."""
        for m in self.batch_norms():
            m.set_rest_statistics(m.running_mean, m.running_var)

    def reset_state(self):
        for _, m in self.lif_layers():
            m.reset_state()

    def detach_state(self):
        for _, m in self.lif_layers():
            m.detach_state()

    def forward(self, x):
        at_rest = all(m.v is None for _, m in self.lif_layers())
        for m in self.batch_norms():
            m.at_rest = at_rest
        n, _, h, w = x.shape
        hp, wp = -(-h // 4) * 4, -(-w // 4) * 4
        xp = F.pad(x, (0, wp - w, 0, hp - h), mode="replicate") if (hp, wp) != (h, w) else x

        x0 = self.patch_embed(xp).unsqueeze(0).repeat(self.timesteps, 1, 1, 1, 1)
        e1 = self.encoder_level1(x0)
        e2 = self.encoder_level2(self.down1_2(e1))
        e3 = self.encoder_level3(self.down2_3(e2))
        d3 = self.decoder_level3(e3)
        d2 = self.reduce_chan_level2(torch.cat([self.up3_2(d3), e2], dim=2))
        d2 = self.decoder_level2(d2)
        d1 = self.decoder_level1(torch.cat([self.up2_1(d2), e1], dim=2))
        y = self.output(self.refinement(d1.mean(dim=0))) + xp
        return y[:, :, :h, :w]


def with_defaults(config):
    """A full, validated configuration dict with canonical types (tuples, ints, floats):
    the constructor's defaults overridden by config."""
    params = inspect.signature(ESDNet.__init__).parameters
    unknown = set(config) - set(params)
    if unknown:
        raise ValueError(f"unknown ESDNet configuration keys: {sorted(unknown)}")
    cfg = {k: config.get(k, p.default) for k, p in params.items() if k != "self"}
    for key in ("enc_blocks", "dec_blocks"):
        cfg[key] = tuple(int(n) for n in cfg[key])
        if len(cfg[key]) != 3 or min(cfg[key]) < 0:
            raise ValueError(f"{key} needs 3 block counts >= 0 (levels 1, 2, 3), got {cfg[key]}")
    for key in ("dim", "timesteps", "reduction_t", "reduction_c", "refine_reduction"):
        cfg[key] = int(cfg[key])
        if cfg[key] < 1:
            raise ValueError(f"{key} must be >= 1, got {cfg[key]}")
    for key in ("tau", "v_threshold", "bn_eps"):
        cfg[key] = float(cfg[key])
    if cfg["tau"] < 1.0 or cfg["bn_eps"] < 0.0:
        raise ValueError(f"tau must be >= 1 and bn_eps >= 0, got {cfg['tau']}, {cfg['bn_eps']}")
    return cfg


def count_parameters(config):
    """Number of learnable parameters (BN running statistics are buffers, not counted)."""
    return sum(p.numel() for p in ESDNet.from_config(config).parameters())


def count_dense_macs_per_pixel(config):
    """Multiply-accumulates per input pixel of one frame if every convolution were dense.

    Convolutions that run per timestep (patch_embed included, as the published
    figure counts it) are counted T times. The MDA spatial 3x3 conv runs once
    per pixel per block. Per-image work that does not scale with the pixel
    count (MDA temporal/channel MLPs, refinement channel MLP) is left out.
    """
    cfg = with_defaults(config)
    d, t = cfg["dim"], cfg["timesteps"]
    enc, dec = cfg["enc_blocks"], cfg["dec_blocks"]
    hidden = (2 * d) // cfg["refine_reduction"]

    def conv(cin, cout, k, scale):  # scale = output pixels per input pixel
        return cin * cout * k * k * scale

    def srb(c, scale):
        return 3 * t * conv(c, c, 3, scale) + conv(2, 1, 3, scale)

    macs = t * conv(3, d, 3, 1)
    macs += enc[0] * srb(d, 1) + enc[1] * srb(2 * d, 1 / 4) + enc[2] * srb(4 * d, 1 / 16)
    macs += t * (conv(d, 2 * d, 3, 1 / 4) + conv(2 * d, 4 * d, 3, 1 / 16))  # down1_2, down2_3
    macs += dec[2] * srb(4 * d, 1 / 16) + dec[1] * srb(2 * d, 1 / 4) + dec[0] * srb(2 * d, 1)
    macs += t * (conv(4 * d, 2 * d, 3, 1 / 4) + conv(4 * d, 2 * d, 1, 1 / 4))  # up3_2, reduce
    macs += t * conv(2 * d, d, 3, 1)  # up2_1
    macs += conv(2 * d, 2 * d, 3, 1) + 2 * conv(2 * d, hidden, 3, 1)  # refinement.sa
    macs += conv(2 * d, 3, 3, 1)  # output
    return macs
