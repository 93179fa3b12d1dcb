#!/usr/bin/python3
"""Synthetic rain over clean images and video frames, for training and for looking at.

Rain is a set of streak layers at several depths. A streak is the motion-blur
trace of one falling drop during the exposure: a thin line segment, brighter in
the middle and fading at its ends, drawn anti-aliased (bilinear splatting) and
widened by a Gaussian blur. The layers differ in depth: far layers are
thinner, shorter and dimmer. All streaks of a scene fall in one direction
(mostly near-vertical, at most 30 degrees off) with a small per-streak jitter.
The "photoshop" style follows the recipe most public sets (Rain100L/H, Rain12,
Rain1400) were rendered with: thresholded noise dots motion-blurred by one
kernel, so all streaks share one exact direction and one length, are evenly
bright along their length and are many and faint.
The streak layer R is composited over the clean background B as the public
synthetic datasets did, additively min(1, B + R) or by screen blending
1 - (1 - B)(1 - R); heavy rain also veils the background, B (1 - A) + A haze.

Images are float32 arrays, H x W x 3, RGB in [0, 1]. Every random choice
comes from the numpy.random.Generator passed in, so a seed gives one result.

    /usr/bin/python3 models/synthrain.py IN_DIR OUT_DIR [--seed N] [--video]
        [--style light|heavy|photoshop] [--prefix P] [--max-side N]

writes OUT_DIR/rain and OUT_DIR/clean (PNG, same names, each after P). With --video the
images of IN_DIR are the frames of one scene, in name order, and the rain
moves from frame to frame.
"""

import argparse
import dataclasses
import math
import os
import sys

import numpy as np
from scipy.ndimage import gaussian_filter


@dataclasses.dataclass(frozen=True)
class RainStyle:
    """Ranges (lo, hi) from which each scene draws its rain; sizes are pixels.

    Length, width, brightness and density describe the nearest layer; far
    layers scale them down with their depth.
    """
    layers: tuple = (1, 3)          # number of depth layers
    density: tuple = (0.5, 2.5)     # streaks per 1000 pixels in the nearest layer
    length: tuple = (12.0, 45.0)    # streak length
    width: tuple = (0.45, 1.0)      # Gaussian sigma across the streak
    brightness: tuple = (0.25, 0.65)  # peak added intensity of a streak
    max_angle: float = 30.0         # degrees from vertical of the common direction
    angle_jitter: float = 3.0       # degrees, per streak
    length_jitter: float = 0.3      # a streak's length is the layer's times 1 +- this
    end_fade: float = 0.1           # fraction of a streak's length over which each end fades
    depth_shortens: bool = True     # far layers have shorter streaks (False: one blur length)
    haze: tuple = None              # veil opacity A, or None for no veil


LIGHT = RainStyle()
HEAVY = RainStyle(layers=(2, 4), density=(2.5, 6.0), length=(25.0, 70.0), width=(0.6, 1.4),
                  brightness=(0.3, 0.7), haze=(0.1, 0.4))
# Layers here stand for dot sizes, not depths: one motion blur gives every
# streak the same length and direction, and blurring a dot fades only its ends.
PHOTOSHOP = RainStyle(layers=(2, 3), density=(1.5, 4.5), length=(15.0, 45.0), width=(0.4, 0.9),
                      brightness=(0.12, 0.35), max_angle=25.0, angle_jitter=0.0,
                      length_jitter=0.0, end_fade=0.04, depth_shortens=False)
STYLES = {"light": LIGHT, "heavy": HEAVY, "photoshop": PHOTOSHOP}


@dataclasses.dataclass
class Layer:
    depth: float        # 1 = nearest
    length: float
    width: float
    brightness: float
    density: float      # streaks per pixel


@dataclasses.dataclass
class Scene:
    """One rain scene's parameters, shared by all frames of a sequence."""
    angle: float        # common direction, radians from vertical (positive: falls to the right)
    jitter: float       # standard deviation of each streak's own deviation, radians
    length_jitter: float
    end_fade: float
    layers: list        # nearest first
    screen: bool        # screen blend instead of additive compositing
    tint: np.ndarray    # RGB colour of the streaks
    haze: float         # veil opacity A (0 = none)
    haze_colour: np.ndarray
    shutter: float      # exposure as a fraction of the frame interval (sets the fall speed)


def sample_scene(rng, style=LIGHT):
    u = rng.uniform
    # Near-vertical directions are the most common: a triangular distribution around 0.
    angle = math.radians(style.max_angle * (u() - u()))
    n_layers = int(rng.integers(style.layers[0], style.layers[1] + 1))
    depths = np.concatenate([[1.0], np.sort(u(0.3, 0.8, n_layers - 1))[::-1]])
    length, width = u(*style.length), u(*style.width)
    brightness, density = u(*style.brightness), u(*style.density) / 1000.0
    layers = [Layer(depth=float(z), length=length * (z if style.depth_shortens else 1.0),
                    width=max(0.35, width * z),
                    brightness=brightness * (0.4 + 0.6 * z), density=density * u(0.5, 1.5))
              for z in depths]
    # Streaks are mostly white; some take on a little of a blue-grey ambient colour.
    tint = 1.0 - u(0.0, 0.15) * np.array([1.0, 0.6, 0.0])
    haze = u(*style.haze) if style.haze else 0.0
    haze_colour = u(0.6, 0.95) * (1.0 - u(0.0, 0.1) * np.array([1.0, 0.5, 0.0]))
    return Scene(angle=angle, jitter=math.radians(style.angle_jitter),
                 length_jitter=style.length_jitter, end_fade=style.end_fade, layers=layers,
                 screen=bool(rng.random() < 0.5), tint=tint.astype(np.float32), haze=haze,
                 haze_colour=haze_colour.astype(np.float32), shutter=u(0.4, 1.0))


class StreakField:
    """The drops of one scene over an H x W view, which fall from frame to frame.

    Streak centres live on a field padded by the longest streak on every side,
    so streaks entering the view from outside are drawn like those inside; a
    drop that falls out of the field re-enters at its top as a new drop.
    """

    # Fraction of the drops replaced by new ones at random places each frame:
    # real rain changes between frames, it does not only translate.
    RENEWAL = 0.05

    def __init__(self, scene, height, width, rng):
        self.scene, self.height, self.width = scene, height, width
        longest = (1.0 + scene.length_jitter) * max(layer.length for layer in scene.layers)
        self.pad = int(math.ceil(longest / 2)) + 2
        self.field = np.array([height + 2 * self.pad, width + 2 * self.pad], np.float64)
        self.drops = []
        for layer in scene.layers:
            n = rng.poisson(layer.density * self.field[0] * self.field[1])
            self.drops.append(self._new_drops(layer, n, rng))

    def _new_drops(self, layer, n, rng):
        angle = self.scene.angle + self.scene.jitter * rng.standard_normal(n)
        jitter = self.scene.length_jitter
        return {
            "pos": rng.uniform(0.0, 1.0, (n, 2)) * self.field - self.pad,  # (y, x) in the view
            "dir": np.stack([np.cos(angle), np.sin(angle)], axis=1),       # (dy, dx) of the fall
            "length": layer.length * rng.uniform(1.0 - jitter, 1.0 + jitter, n),
            "brightness": layer.brightness * rng.uniform(0.5, 1.0, n),
        }

    def render(self):
        """The streak layer R, H x W float32 (layers summed, not clipped)."""
        out = np.zeros((self.height, self.width), np.float32)
        for layer, drops in zip(self.scene.layers, self.drops):
            # A line of unit density blurred by a Gaussian of sigma s peaks at
            # 1 / (sqrt(2 pi) s); the bilinear splat adds about 1/6 pixel^2 of
            # variance. Scaling by the inverse keeps a streak's peak at its brightness.
            sigma = math.sqrt(layer.width ** 2 + 1.0 / 6.0)
            out += gaussian_filter(self._splat(drops), layer.width, mode="constant",
                                   truncate=3.0) * np.float32(math.sqrt(2 * math.pi) * sigma)
        return out

    def _splat(self, drops):
        """Draws the drops' segments with bilinear weights, one sample per pixel or closer."""
        h, w = self.height, self.width
        if len(drops["length"]) == 0:
            return np.zeros((h, w), np.float32)
        samples = int(math.ceil(drops["length"].max())) + 1
        t = np.linspace(-0.5, 0.5, samples)
        offset = t[None, :] * drops["length"][:, None]
        ys = drops["pos"][:, :1] + offset * drops["dir"][:, :1]
        xs = drops["pos"][:, 1:] + offset * drops["dir"][:, 1:]
        # Bright in the middle, fading towards each end; each sample stands
        # for the segment length between samples.
        profile = np.clip((1.0 - np.abs(2.0 * t)) / (2.0 * self.scene.end_fade), 0.0, 1.0)
        weight = (drops["brightness"] * drops["length"] / (samples - 1))[:, None] * profile
        y0, x0 = np.floor(ys), np.floor(xs)
        fy, fx = ys - y0, xs - x0
        y0, x0 = y0.astype(np.intp), x0.astype(np.intp)
        acc = np.zeros(h * w, np.float64)
        for dy, dx, wgt in ((0, 0, (1 - fy) * (1 - fx)), (0, 1, (1 - fy) * fx),
                            (1, 0, fy * (1 - fx)), (1, 1, fy * fx)):
            yy, xx = y0 + dy, x0 + dx
            inside = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            acc += np.bincount((yy * w + xx)[inside], (weight * wgt)[inside], minlength=h * w)
        return acc.reshape(h, w).astype(np.float32)

    def advance(self, rng):
        """Moves to the next frame: drops fall by their streak length over the
        shutter fraction (nearer drops look faster), some are renewed, and those
        leaving the field re-enter on the far side at a new place."""
        for layer, drops in zip(self.scene.layers, self.drops):
            n = len(drops["length"])
            drops["pos"] += drops["dir"] * (drops["length"] / self.scene.shutter)[:, None]
            fallen = drops["pos"][:, 0] >= self.field[0] - self.pad
            drops["pos"][fallen, 1] = rng.uniform(0.0, self.field[1], fallen.sum()) - self.pad
            drops["pos"] = np.mod(drops["pos"] + self.pad, self.field) - self.pad
            renew = np.flatnonzero(rng.random(n) < self.RENEWAL)
            fresh = self._new_drops(layer, len(renew), rng)
            for key, value in fresh.items():
                drops[key][renew] = value


def composite(clean, streaks, scene):
    """Rainy image from a clean H x W x 3 image and the streak layer of the scene."""
    background = clean
    if scene.haze > 0:
        background = clean * (1.0 - scene.haze) + scene.haze * scene.haze_colour
    rain = np.clip(streaks, 0.0, 1.0)[..., None] * scene.tint
    if scene.screen:
        return 1.0 - (1.0 - background) * (1.0 - rain)
    return np.minimum(1.0, background + rain)


def add_rain(clean, rng, style=LIGHT, scene=None):
    """Returns clean (H x W x 3 float32 in [0, 1]) with rain drawn from rng."""
    scene = scene or sample_scene(rng, style)
    field = StreakField(scene, clean.shape[0], clean.shape[1], rng)
    return composite(clean, field.render(), scene).astype(np.float32)


def rain_sequence(frames, rng, style=LIGHT, scene=None):
    """Returns the consecutive frames (same-size H x W x 3 arrays) of one scene
    with one rain falling over them."""
    scene = scene or sample_scene(rng, style)
    field = StreakField(scene, frames[0].shape[0], frames[0].shape[1], rng)
    rainy = []
    for i, frame in enumerate(frames):
        if i:
            field.advance(rng)
        rainy.append(composite(frame, field.render(), scene).astype(np.float32))
    return rainy


def main(argv=None):
    from data import list_images, read_image, write_image  # data imports this module

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("input", help="folder of clean images (with --video: the frames of one scene)")
    parser.add_argument("output", help="folder that gets rain/ and clean/")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--video", action="store_true",
                        help="the images are consecutive frames: the rain moves between them")
    parser.add_argument("--style", choices=sorted(STYLES), default="light")
    parser.add_argument("--prefix", default="",
                        help="put this before every written name (to merge sets in one folder)")
    parser.add_argument("--max-side", type=int, default=0,
                        help="first shrink images whose longer side exceeds this (0: never)")
    args = parser.parse_args(argv)

    paths = list_images(args.input)
    if not paths:
        sys.exit(f"{args.input}: no images")
    rng = np.random.default_rng(args.seed)
    style = STYLES[args.style]
    for sub in ("rain", "clean"):
        os.makedirs(os.path.join(args.output, sub), exist_ok=True)

    def save(path, clean, rainy):
        name = args.prefix + os.path.splitext(os.path.basename(path))[0] + ".png"
        write_image(os.path.join(args.output, "clean", name), clean)
        write_image(os.path.join(args.output, "rain", name), rainy)

    if args.video:
        frames = [read_image(p, args.max_side) for p in paths]
        if len({f.shape for f in frames}) != 1:
            sys.exit(f"{args.input}: --video needs frames of one size")
        for path, clean, rainy in zip(paths, frames, rain_sequence(frames, rng, style)):
            save(path, clean, rainy)
    else:
        for path in paths:
            clean = read_image(path, args.max_side)
            save(path, clean, add_rain(clean, rng, style))
    print(f"{args.output}: {len(paths)} rain/clean pairs")


if __name__ == "__main__":
    main()
