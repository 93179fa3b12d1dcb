#!/usr/bin/python3
"""Checks of the synthetic rain (models/synthrain.py), the datasets (models/data.py)
and the metrics (models/losses.py).

    /usr/bin/python3 tests/models/test_data.py

Exits 77 (skipped) where numpy, torch or PIL are missing.
"""

import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import traceback

MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")
sys.path.insert(0, MODELS)
try:
    import numpy as np
    import torch
    from PIL import Image
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

import data  # noqa: E402
import synthrain  # noqa: E402
from losses import y_metrics  # noqa: E402


def smooth_image(rng, h, w):
    """A random smooth colour image (low-frequency noise plus a gradient)."""
    coarse = rng.uniform(0, 1, (h // 8 + 2, w // 8 + 2, 3)).astype(np.float32)
    im = np.asarray(Image.fromarray((coarse * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC),
                    np.float32) / 255
    ramp = np.linspace(0, 0.3, h, dtype=np.float32)[:, None, None]
    return np.clip(0.6 * im + ramp, 0, 1)


def scene(rng, screen, style=synthrain.LIGHT):
    s = synthrain.sample_scene(rng, style)
    s.screen = screen
    return s


def test_additive_rain_only_brightens():
    rng = np.random.default_rng(1)
    added = []
    for seed in range(20):
        clean = smooth_image(rng, 96, 128)
        rainy = synthrain.add_rain(clean, np.random.default_rng(seed), scene=scene(rng, False))
        assert rainy.shape == clean.shape and rainy.dtype == np.float32
        assert (rainy - clean).min() >= -1e-6, "additive rain darkened a pixel"
        assert rainy.max() <= 1.0
        added.append(float((rainy - clean).mean()))
    # Light rain: visible but far from a white-out (Rain100L inputs average ~27 dB).
    assert 0.003 < np.mean(added) < 0.1, f"mean added brightness {np.mean(added):.4f}"
    assert min(added) > 0, "a scene drew no rain at all"


def test_screen_rain_only_brightens():
    rng = np.random.default_rng(2)
    clean = smooth_image(rng, 64, 64)
    rainy = synthrain.add_rain(clean, rng, scene=scene(rng, True))
    assert (rainy - clean).min() >= -1e-6 and rainy.max() <= 1.0 + 1e-6


def test_streaks_are_mostly_vertical():
    """Rain changes the image along columns much less than along rows."""
    rng = np.random.default_rng(3)
    clean = np.full((128, 128, 3), 0.3, np.float32)
    s = scene(rng, False)
    s.angle = 0.0
    streaks = synthrain.add_rain(clean, rng, scene=s)[..., 0] - 0.3
    along = np.abs(np.diff(streaks, axis=0)).mean()
    across = np.abs(np.diff(streaks, axis=1)).mean()
    assert along < 0.6 * across, f"vertical streaks: along {along:.4f}, across {across:.4f}"


def test_heavy_rain_with_haze():
    rng = np.random.default_rng(4)
    clean = smooth_image(rng, 64, 80)
    rainy = synthrain.add_rain(clean, rng, synthrain.HEAVY)
    assert rainy.min() >= 0.0 and rainy.max() <= 1.0 + 1e-6
    assert synthrain.sample_scene(rng, synthrain.HEAVY).haze > 0
    assert synthrain.sample_scene(rng, synthrain.LIGHT).haze == 0


def test_photoshop_streaks_share_direction_and_length():
    """One motion blur over the whole layer: every streak of every layer has the
    scene's exact direction and one length, and evenly bright (faded only at its
    very ends); the light style varies both per streak."""
    rng = np.random.default_rng(11)
    for _ in range(5):
        s = synthrain.sample_scene(rng, synthrain.PHOTOSHOP)
        field = synthrain.StreakField(s, 64, 64, rng)
        dirs = np.concatenate([d["dir"] for d in field.drops])
        lengths = np.concatenate([d["length"] for d in field.drops])
        assert len(lengths) > 20
        assert np.allclose(dirs, [math.cos(s.angle), math.sin(s.angle)], atol=1e-12)
        assert np.ptp(lengths) < 1e-9 and s.end_fade < 0.05
    field = synthrain.StreakField(synthrain.sample_scene(rng, synthrain.LIGHT), 64, 64, rng)
    assert np.ptp(np.concatenate([d["length"] for d in field.drops])) > 1.0
    assert np.ptp(np.concatenate([d["dir"][:, 1] for d in field.drops])) > 1e-3


def test_rain_mixes():
    assert data.parse_rain("light") == [("light", 1.0)]
    assert data.parse_rain("mixed") == [("heavy", 0.25), ("light", 0.75)]
    assert data.parse_rain("light,photoshop=3") == [("light", 0.25), ("photoshop", 0.75)]
    for bad in ("drizzle", "light=0", "light=x", "light,"):
        try:
            data.parse_rain(bad)
        except ValueError:
            continue
        raise AssertionError(f"parse_rain accepted {bad!r}")
    with tempfile.TemporaryDirectory() as tmp:
        write(os.path.join(tmp, "images", "0.png"), smooth_image(np.random.default_rng(12), 64, 64))
        mix = data.SyntheticRain(data.Backgrounds(tmp), 32, seed=1, rain="light=1,photoshop=3")
        picks = [mix._pick_style(np.random.default_rng(i)) for i in range(2000)]
        share = picks.count("photoshop") / len(picks)
        assert abs(share - 0.75) < 0.04, f"photoshop drawn for {share:.3f} of the scenes"


def test_deterministic_and_fast():
    clean = smooth_image(np.random.default_rng(5), 256, 256)
    a = synthrain.add_rain(clean, np.random.default_rng(7))
    b = synthrain.add_rain(clean, np.random.default_rng(7))
    assert np.array_equal(a, b)
    t = time.perf_counter()
    for seed in range(10):
        synthrain.add_rain(clean, np.random.default_rng(seed))
    per_image = (time.perf_counter() - t) / 10
    # A few ms on an idle core; generous for loaded test machines.
    assert per_image < 0.1, f"{per_image * 1000:.1f} ms per 256x256 image"


def test_video_rain_moves():
    rng = np.random.default_rng(6)
    frame = smooth_image(rng, 64, 96)
    frames = synthrain.rain_sequence([frame] * 4, rng)
    assert len(frames) == 4
    for a, b in zip(frames, frames[1:]):
        assert np.abs(a - b).mean() > 1e-3, "consecutive rainy frames are identical"


def write(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    data.write_image(path, array)


def test_paired_layouts():
    rng = np.random.default_rng(8)
    layouts = {
        "folders": lambda root, i: (f"{root}/rain/{i}.png", f"{root}/clean/{i}.png"),
        "input-target": lambda root, i: (f"{root}/input/{i}.png", f"{root}/target/{i}.png"),
        "flat": lambda root, i: (f"{root}/rain-{i}.png", f"{root}/norain-{i}.png"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for layout, paths in layouts.items():
            root = os.path.join(tmp, layout)
            for i in range(3):
                clean = smooth_image(rng, 40, 48)
                rain_path, clean_path = paths(root, i)
                write(clean_path, clean)
                write(rain_path, clean * 0.5)
            pairs = data.PairedImages(root)
            assert len(pairs) == 3, f"{layout}: {len(pairs)} pairs"
            for name, rain, clean in pairs:
                assert rain.shape == (40, 48, 3)
                assert np.abs(rain - np.round(clean * 127.5) / 255).max() < 2.5 / 255, layout
            rain, clean = data.PairedPatches(root, 32, seed=0)[5]
            assert rain.shape == clean.shape == (3, 32, 32)
            assert torch.allclose(rain, torch.round(clean * 127.5) / 255, atol=2.5 / 255), layout
        os.makedirs(os.path.join(tmp, "empty"))
        try:
            data.PairedImages(os.path.join(tmp, "empty"))
        except ValueError:
            pass
        else:
            raise AssertionError("an empty folder gave pairs")


def test_synthetic_datasets():
    rng = np.random.default_rng(9)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(3):
            write(os.path.join(tmp, "images", f"{i}.png"), smooth_image(rng, 90, 120))
        backgrounds = data.Backgrounds(tmp)
        still = data.SyntheticRain(backgrounds, 32, seed=1)
        rain, clean = still[4]
        assert rain.shape == clean.shape == (3, 32, 32)
        again = still[4]
        assert torch.equal(rain, again[0]) and torch.equal(clean, again[1])
        video = data.SyntheticRain(backgrounds, 32, seed=1, frames=3)
        rain, clean = video[0]
        assert rain.shape == clean.shape == (3, 3, 32, 32)
        # clean_share of the items carry no rain at all, the rest some.
        for share, low, high in ((0.0, 0, 0), (0.5, 12, 28)):
            items = data.SyntheticRain(backgrounds, 32, seed=2, clean_share=share)
            untouched = sum(torch.equal(*items[i]) for i in range(40))
            assert low <= untouched <= high, (share, untouched)
        assert "50% of items rain-free" in items.description


def test_decode_clip_side_by_side():
    """Runs started together find one clip decoded without clobbering one another,
    and an unfinished folder left by an interrupted decode is replaced."""
    if shutil.which("gst-launch-1.0") is None:
        print("  (gst-launch-1.0 missing: decode_clip not checked)")
        return
    with tempfile.TemporaryDirectory() as tmp:
        clip = os.path.join(tmp, "bars.avi")
        subprocess.run(["gst-launch-1.0", "-q", "videotestsrc", "num-buffers=6", "!",
                        "video/x-raw,width=64,height=48", "!", "jpegenc", "!", "avimux", "!",
                        "filesink", f"location={clip}"], check=True)
        cache = os.path.join(tmp, "cache")
        os.makedirs(os.path.join(cache, "bars"))
        open(os.path.join(cache, "bars", "00000.jpg"), "w").close()  # unfinished, no .complete
        results, errors = [], []

        def decode():
            try:
                results.append(data.decode_clip(clip, cache))
            except Exception as e:  # collected: a thread's exception would go unseen
                errors.append(e)

        threads = [threading.Thread(target=decode) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors, errors
        assert len(results) == 3 and all(r == results[0] for r in results)
        assert len(results[0]) == 6
        assert all(Image.open(f).size == (64, 48) for f in results[0])
        assert sorted(os.listdir(cache)) == [".lock", "bars"]


def test_synthrain_cli():
    rng = np.random.default_rng(10)
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(3):
            write(os.path.join(tmp, "in", f"f{i}.jpg"), smooth_image(rng, 40, 56))
        subprocess.run([sys.executable, os.path.join(MODELS, "synthrain.py"), os.path.join(tmp, "in"),
                        os.path.join(tmp, "out"), "--video", "--seed", "3"], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, os.path.join(MODELS, "synthrain.py"), os.path.join(tmp, "in"),
                        os.path.join(tmp, "out"), "--style", "photoshop", "--prefix", "p-"],
                       check=True, stdout=subprocess.DEVNULL)
        for sub in ("rain", "clean"):
            assert sorted(os.listdir(os.path.join(tmp, "out", sub))) == [
                "f0.png", "f1.png", "f2.png", "p-f0.png", "p-f1.png", "p-f2.png"]


def test_y_metrics():
    clean = torch.round(torch.rand(3, 24, 24) * 255) / 255  # 8-bit, like images read from files
    psnr, ssim = y_metrics(clean, clean)
    assert psnr == float("inf") and abs(ssim - 1.0) < 1e-6
    # A uniform offset of 10/255 on every channel moves luma by 10 * 219/255 / 255.
    shifted = torch.round(clean * 200) / 255 + 10.0 / 255
    psnr, _ = y_metrics(shifted, torch.round(clean * 200) / 255)
    expected = -20 * np.log10(10 * 219.0 / 255 / 255)
    assert abs(psnr - expected) < 0.05, (psnr, expected)


def run_tests(namespace):
    """Runs every test_* function in namespace (a module's globals()); the exit status."""
    tests = [(name, fn) for name, fn in namespace.items() if name.startswith("test_")]
    failed = 0
    for name, fn in tests:
        try:
            fn()
            print(f"ok    {name}")
        except Exception:  # report every failing check, not just the first
            failed += 1
            print(f"FAIL  {name}")
            traceback.print_exc()
    print(f"{len(tests) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_tests(globals()))
