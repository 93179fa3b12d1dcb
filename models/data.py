"""Training and validation data for ESDNet.

Paired folders (rainy input and clean target) in three layouts:
    ROOT/rain/NAME + ROOT/clean/NAME       (this project's evaluation sets)
    ROOT/input/NAME + ROOT/target/NAME
    ROOT/rain-N.png + ROOT/norain-N.png    (Rain100L/Rain100H as published)
and synthetic rain (synthrain.py) drawn on the fly over clean backgrounds:
photos in BACKGROUNDS/images and video clips in BACKGROUNDS/videos, as
models/fetch_backgrounds.sh lays them out.

The training datasets are map-style and deterministic: item i is drawn from
numpy.random.default_rng([seed, i]), so the data of a step depends only on the
seed and the step, resumed runs see the same data as an uninterrupted one, and
DataLoader workers need no shared random state.
"""

import argparse
import fcntl
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import torch
from PIL import Image

from synthrain import STYLES, add_rain, rain_sequence

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp")
VIDEO_EXTENSIONS = (".avi", ".mp4", ".mkv", ".webm", ".mov")
# Named mixes of rain styles, with each style's share of the scenes.
RAIN_MIXES = {"mixed": "heavy=0.25,light=0.75"}


def parse_rain(text):
    """[(style, share)] from 'STYLE', a named mix, or 'STYLE=W,STYLE=W,...'
    (a style without '=W' weighs 1); shares are normalised to sum to 1."""
    parts = []
    for item in RAIN_MIXES.get(text, text).split(","):
        name, _, weight = item.partition("=")
        if name not in STYLES:
            raise ValueError(f"unknown rain style {name!r} in {text!r} (styles: "
                             f"{', '.join(STYLES)}; mixes: {', '.join(RAIN_MIXES)})")
        try:
            share = float(weight) if weight else 1.0
        except ValueError:
            share = -1.0
        if not share > 0:
            raise ValueError(f"the weight of {name} in {text!r} must be a positive number")
        parts.append((name, share))
    total = sum(share for _, share in parts)
    return [(name, share / total) for name, share in parts]


def rain_arg(text):
    """argparse type of the --rain options: the text, once parse_rain accepts it."""
    try:
        parse_rain(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))
    return text


def list_images(folder):
    return sorted(os.path.join(folder, f) for f in os.listdir(folder)
                  if f.lower().endswith(IMAGE_EXTENSIONS))


def read_image(path, max_side=0):
    """H x W x 3 float32 RGB in [0, 1]; shrunk first if its longer side exceeds max_side > 0."""
    with Image.open(path) as im:
        im = _shrink(im, max_side, max) if max_side else im
        return np.asarray(im.convert("RGB"), np.float32) / 255.0


def write_image(path, image):
    Image.fromarray(np.round(np.clip(image, 0.0, 1.0) * 255.0).astype(np.uint8)).save(path)


def _shrink(im, limit, side=min):
    """im resized (aspect kept) so that side(width, height) <= limit."""
    scale = limit / side(im.size)
    if scale >= 1.0:
        return im
    size = (max(1, round(im.size[0] * scale)), max(1, round(im.size[1] * scale)))
    im.draft("RGB", size)  # JPEG decodes straight at a reduced size: much faster
    return im.convert("RGB").resize(size, Image.BICUBIC, reducing_gap=3.0)


def to_tensor(image):
    """H x W x 3 array -> 3 x H x W tensor."""
    return torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1)))


# ---------------------------------------------------------------- paired folders

_FLAT_RAIN = re.compile(r"^rain-(.+)$")


def find_pairs(root):
    """[(name, rain path, clean path)] of a paired folder, in name order."""
    for rain_dir, clean_dir in (("rain", "clean"), ("input", "target")):
        rain_root, clean_root = os.path.join(root, rain_dir), os.path.join(root, clean_dir)
        if os.path.isdir(rain_root) and os.path.isdir(clean_root):
            pairs = [(os.path.basename(p), p, os.path.join(clean_root, os.path.basename(p)))
                     for p in list_images(rain_root)]
            missing = [c for _, _, c in pairs if not os.path.isfile(c)]
            if missing:
                raise ValueError(f"{root}: {len(missing)} images of {rain_dir}/ have no "
                                 f"partner in {clean_dir}/, e.g. {missing[0]}")
            break
    else:
        pairs = []
        clean_of = {os.path.splitext(os.path.basename(p))[0]: p for p in list_images(root)}
        for stem, path in sorted(clean_of.items()):
            match = _FLAT_RAIN.match(stem)
            if match:
                clean = clean_of.get("norain-" + match.group(1))
                if clean is None:
                    raise ValueError(f"{root}: {os.path.basename(path)} has no norain- partner")
                pairs.append((match.group(1), path, clean))
    if not pairs:
        raise ValueError(f"{root}: no image pairs (expected rain/+clean/, input/+target/ "
                         "or rain-N/norain-N files)")
    return pairs


class PairedImages:
    """Whole image pairs of a paired folder, decoded once and kept in memory."""

    def __init__(self, root):
        self.root = root
        self.pairs = find_pairs(root)
        self._cache = {}

    def __len__(self):
        return len(self.pairs)

    def __getitem__(self, i):
        """(name, rain, clean): H x W x 3 float32 arrays."""
        if i not in self._cache:
            name, rain, clean = self.pairs[i]
            rain, clean = read_image(rain), read_image(clean)
            if rain.shape != clean.shape:
                raise ValueError(f"{self.root}: {name}: rain {rain.shape} and clean "
                                 f"{clean.shape} differ in size")
            self._cache[i] = (name, rain, clean)
        return self._cache[i]


class PairedPatches(torch.utils.data.Dataset):
    """Random patch x patch crops (with random horizontal flips) of a paired folder."""

    def __init__(self, root, patch, seed):
        self.images = PairedImages(root)
        self.patch, self.seed = patch, seed
        self.description = f"{len(self.images)} pairs of {root}"

    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, i])
        _, rain, clean = self.images[int(rng.integers(len(self.images)))]
        h, w = rain.shape[:2]
        if min(h, w) < self.patch:
            raise ValueError(f"{self.images.root}: an image of {w}x{h} is smaller than "
                             f"the {self.patch}-pixel patch")
        y, x = int(rng.integers(h - self.patch + 1)), int(rng.integers(w - self.patch + 1))
        crops = [a[y:y + self.patch, x:x + self.patch] for a in (rain, clean)]
        if rng.random() < 0.5:
            crops = [c[:, ::-1] for c in crops]
        return to_tensor(crops[0]), to_tensor(crops[1])


# ---------------------------------------------------------------- backgrounds

def decode_clip(video, cache_root):
    """Sorted JPEG frames of a video clip, decoded once into cache_root/NAME with GStreamer.

    JPEG at quality 95 keeps the cache small (vtest.avi: 110 MB instead of
    660 MB of PNG); the training pairs take their clean frame from the same
    decoded JPEG, so the compression never separates rain from target.
    """
    out = os.path.join(cache_root, os.path.splitext(os.path.basename(video))[0])
    done = os.path.join(out, ".complete")
    if not os.path.exists(done):
        if shutil.which("gst-launch-1.0") is None:
            raise RuntimeError("gst-launch-1.0 is not installed")
        os.makedirs(cache_root, exist_ok=True)
        # Runs started side by side take turns: the first decodes, the others
        # then find its finished folder. A folder without the mark is what an
        # interrupted decode left.
        with open(os.path.join(cache_root, ".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not os.path.exists(done):
                shutil.rmtree(out, ignore_errors=True)
                os.makedirs(out)
                subprocess.run(["gst-launch-1.0", "-q", "filesrc", f"location={video}", "!",
                                "decodebin", "!", "videoconvert", "!", "jpegenc", "quality=95",
                                "!", "multifilesink", f"location={os.path.join(out, '%05d.jpg')}"],
                               check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
                open(done, "w").close()
    return list_images(out)


class Backgrounds:
    """Clean photos and clip frames to draw training views from.

    Photos are kept in memory shrunk to a shorter side of at most short_side
    pixels: a patch cut from a 5120-pixel wallpaper is nearly flat, while
    the benchmarks' images are about 321 x 481. Each view is further scaled
    by a random factor in [min_scale, 1].
    """

    def __init__(self, root, short_side=512, min_scale=0.6, clip_share=0.5):
        self.root, self.min_scale, self.clip_share = root, min_scale, clip_share
        image_dir, video_dir = os.path.join(root, "images"), os.path.join(root, "videos")
        if not os.path.isdir(image_dir):
            raise FileNotFoundError(f"{image_dir} does not exist: run models/fetch_backgrounds.sh "
                                    "(or pass --backgrounds)")
        self.images = []
        for path in list_images(image_dir):
            with Image.open(path) as im:
                self.images.append(_shrink(im, short_side).convert("RGB"))
        if not self.images:
            raise ValueError(f"{image_dir}: no images")
        self.clips = []
        videos = sorted(f for f in os.listdir(video_dir)
                        if f.lower().endswith(VIDEO_EXTENSIONS)) if os.path.isdir(video_dir) else []
        for name in videos:
            try:
                frames = decode_clip(os.path.join(video_dir, name), os.path.join(root, "cache"))
            except (RuntimeError, subprocess.CalledProcessError) as e:
                print(f"warning: cannot decode {name}, skipped: {e}", file=sys.stderr)
                continue
            if len(frames) >= 2:
                self.clips.append(frames)
        self.description = (f"{len(self.images)} background images"
                            + (f" and {len(self.clips)} clips" if self.clips else "")
                            + f" ({os.path.basename(os.path.normpath(root))}/)")

    def views(self, rng, patch, frames=1):
        """frames consecutive patch x patch views (H x W x 3 float32) of one scene:
        consecutive clip frames, or a photo under a slow random pan."""
        if frames > 1 and self.clips and rng.random() < self.clip_share:
            clip = self.clips[int(rng.integers(len(self.clips)))]
            stride = int(rng.integers(1, 3))
            if len(clip) < (frames - 1) * stride + 1:
                stride = 1
            first = int(rng.integers(max(1, len(clip) - (frames - 1) * stride)))
            paths = [clip[min(first + k * stride, len(clip) - 1)] for k in range(frames)]
            with Image.open(paths[0]) as im:
                size = im.size
            boxes = self._boxes(rng, size, patch, frames, pan=0.0)
            out = []
            for path, box in zip(paths, boxes):
                with Image.open(path) as im:
                    out.append(_resample(im.convert("RGB"), box, patch))
        else:
            image = self.images[int(rng.integers(len(self.images)))]
            boxes = self._boxes(rng, image.size, patch, frames, pan=1.5)
            out = [_resample(image, box, patch) for box in boxes]
        if rng.random() < 0.5:  # horizontal only: upside-down scenes do not occur
            out = [v[:, ::-1] for v in out]
        return out

    def _boxes(self, rng, size, patch, frames, pan):
        """Crop boxes (left, top, right, bottom) of a square window that moves
        by up to `pan` output pixels per frame and stays inside the image."""
        w, h = size
        side = min(patch / rng.uniform(self.min_scale, 1.0), w, h)
        velocity = rng.uniform(-pan, pan, 2) * side / patch  # image pixels per frame
        travel = np.abs(velocity) * (frames - 1)
        velocity = np.where(travel > [w - side, h - side], 0.0, velocity)
        lo = np.maximum(0.0, -velocity * (frames - 1))
        hi = np.array([w - side, h - side]) - np.maximum(0.0, velocity * (frames - 1))
        start = lo + rng.uniform(0.0, 1.0, 2) * (hi - lo)
        return [(x, y, x + side, y + side) for x, y in (start + velocity * k for k in range(frames))]


def _resample(image, box, patch):
    return np.asarray(image.resize((patch, patch), Image.BILINEAR, box=tuple(map(float, box))),
                      np.float32) / 255.0


class SyntheticRain(torch.utils.data.Dataset):
    """Synthetic rainy/clean patches over Backgrounds.

    With frames == 1 an item is (rain, clean), 3 x P x P tensors; with
    frames > 1 it is a sequence of one scene with moving rain, F x 3 x P x P.
    clean_share of the items carry no rain, so that the network learns to
    leave clean images alone.
    """

    def __init__(self, backgrounds, patch, seed, rain="light", frames=1, clean_share=0.05):
        self.styles = parse_rain(rain)
        self.backgrounds, self.patch, self.seed = backgrounds, patch, seed
        self.rain, self.frames, self.clean_share = rain, frames, clean_share
        self.description = (f"synthetic {rain} rain over {backgrounds.description}, "
                            f"{clean_share:.0%} of items rain-free")

    def __getitem__(self, i):
        rng = np.random.default_rng([self.seed, i])
        clean = self.backgrounds.views(rng, self.patch, self.frames)
        style = STYLES[self._pick_style(rng)]
        if rng.random() < self.clean_share:
            rain = clean
        elif self.frames == 1:
            rain = [add_rain(clean[0], rng, style)]
        else:
            rain = rain_sequence(clean, rng, style)
        rain = torch.stack([to_tensor(f) for f in rain])
        clean = torch.stack([to_tensor(f) for f in clean])
        return (rain[0], clean[0]) if self.frames == 1 else (rain, clean)

    def _pick_style(self, rng):
        if len(self.styles) == 1:
            return self.styles[0][0]  # no draw: a one-style run's data stays as it was
        u, upto = rng.random(), 0.0
        for name, share in self.styles:
            upto += share
            if u < upto:
                return name
        return self.styles[-1][0]


class Mixture(torch.utils.data.Dataset):
    """Item i of one of several datasets, the dataset chosen at random (uniformly) per item."""

    def __init__(self, datasets, seed):
        self.datasets, self.seed = datasets, seed
        self.description = " + ".join(d.description for d in datasets)

    def __getitem__(self, i):
        if len(self.datasets) == 1:
            return self.datasets[0][i]
        pick = np.random.default_rng([self.seed, i, len(self.datasets)]).integers(len(self.datasets))
        return self.datasets[int(pick)][i]
