#!/usr/bin/python3
"""Checks of models/retime.py: a model file's weights carried to another timestep count.

    /usr/bin/python3 tests/models/test_retime.py [--esdnet PATH]

With --esdnet, the engine must also load and run the files it writes.
Exits 77 (skipped) where torch, numpy or PIL are missing.
"""

import os
import subprocess
import sys
import tempfile

# First: puts models/ on the path, and exits 77 where numpy, torch or PIL are missing.
from test_data import MODELS, run_tests

import torch  # noqa: E402
from esdnet import ESDNet  # noqa: E402
from modelfile import export_model, load_model  # noqa: E402
from retime import retime_state_dict  # noqa: E402

ESDNET = None
SMALL = {"dim": 4, "enc_blocks": (1, 1, 1), "dec_blocks": (1, 0, 1)}


def random_model(timesteps, seed):
    torch.manual_seed(seed)
    model = ESDNet.from_config({**SMALL, "timesteps": timesteps})
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.3 * torch.randn_like(p))  # away from the initial values, which hide mistakes
    return model.eval()


def run_retime(src, dst, timesteps):
    return subprocess.run([sys.executable, os.path.join(MODELS, "retime.py"), src, dst,
                           "--timesteps", str(timesteps)], capture_output=True, text=True)


def check_engine_runs(path):
    if ESDNET:
        subprocess.run([ESDNET, "bench", "--model", path, "--size", "40x32", "--frames", "1",
                        "--warmup", "0", "--threads", "1"], check=True, stdout=subprocess.DEVNULL)


def test_below_four_keeps_every_tensor():
    model = random_model(2, 1)
    with tempfile.TemporaryDirectory() as tmp:
        src, mid, back = (os.path.join(tmp, f"{n}.safetensors") for n in ("t2", "t3", "t2b"))
        export_model(model, {**SMALL, "timesteps": 2}, src)
        assert run_retime(src, mid, 3).returncode == 0
        assert run_retime(mid, back, 2).returncode == 0
        retimed, meta = load_model(mid)
        assert meta["timesteps"] == "3" and retimed.timesteps == 3
        assert "run at T = 3" in meta["training"]
        again, _ = load_model(back)
        for key, value in model.state_dict().items():
            assert torch.equal(again.state_dict()[key], value), key
        x = torch.rand(1, 3, 16, 20)
        with torch.no_grad():
            assert torch.isfinite(retimed(x)).all()
        check_engine_runs(mid)


def test_multiple_tiles_temporal_attention():
    old = random_model(4, 2)
    new = ESDNet.from_config({**SMALL, "timesteps": 8}).eval()
    new.load_state_dict(retime_state_dict(old.state_dict(), 4, 8, 4))
    old_ta, new_ta = old.encoder_level1[0].attn.ta, new.encoder_level1[0].attn.ta
    torch.manual_seed(3)
    first, second = torch.randn(4, 2, 4, 6, 6), torch.randn(4, 2, 4, 6, 6)  # [T, N, C, H, W]
    with torch.no_grad():
        both = new_ta(torch.cat([first, second]))
        assert torch.allclose(both[:4], old_ta(first), atol=1e-6)
        assert torch.allclose(both[4:], old_ta(second), atol=1e-6)
        # Every other tensor is the old one.
        for key, value in old.state_dict().items():
            if ".ta." not in key:
                assert torch.equal(new.state_dict()[key], value), key
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "t4.safetensors"), os.path.join(tmp, "t8.safetensors")
        export_model(old, {**SMALL, "timesteps": 4}, src)
        assert run_retime(src, dst, 8).returncode == 0
        check_engine_runs(dst)


def test_refuses_what_cannot_carry_over():
    for old_t, new_t in ((4, 6), (2, 4), (8, 4), (4, 2)):
        try:
            retime_state_dict(random_model(old_t, 4).state_dict(), old_t, new_t, 4)
        except ValueError as e:
            assert f"from {old_t} to {new_t} timesteps" in str(e)
        else:
            raise AssertionError(f"{old_t} -> {new_t} accepted")
    with tempfile.TemporaryDirectory() as tmp:
        src, dst = os.path.join(tmp, "t4.safetensors"), os.path.join(tmp, "t6.safetensors")
        export_model(random_model(4, 5), {**SMALL, "timesteps": 4}, src)
        result = run_retime(src, dst, 6)
        assert result.returncode == 1 and "4 to 6 timesteps" in result.stderr, result
        assert not os.path.exists(dst)
        result = run_retime(os.path.join(tmp, "missing.safetensors"), dst, 8)
        assert result.returncode == 1 and "missing.safetensors" in result.stderr, result
        result = run_retime(src, os.path.join(tmp, "no", "such", "dir.safetensors"), 8)
        assert result.returncode == 1 and "cannot write" in result.stderr, result


def main():
    global ESDNET
    if len(sys.argv) == 3 and sys.argv[1] == "--esdnet":
        ESDNET = sys.argv[2]
    return run_tests(globals())


if __name__ == "__main__":
    sys.exit(main())
