#!/usr/bin/python3
"""Smoke test of models/train.py: a tiny model trains 3 steps, resumes for 2 more,
matches an uninterrupted 5-step run, exports a model file that loads (and, with
--esdnet, that the C engine describes and runs), and trains 2 steps in carry mode;
checks that a carry step weights the frame from rest by --rest-weight.

    /usr/bin/python3 tests/models/smoke_train.py [--esdnet PATH]

Needs no network: the backgrounds and the validation pairs are random smooth
images made in a temporary folder. Exits 77 (skipped) without torch.
"""

import argparse
import os
import subprocess
import sys
import tempfile

MODELS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "models")
sys.path.insert(0, MODELS)
try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"skipped: {e}")
    sys.exit(77)

import data  # noqa: E402
import train as train_py  # noqa: E402
from calibrate_bn import calibrate_bn  # noqa: E402
from esdnet import ESDNet  # noqa: E402
from losses import Loss  # noqa: E402
from modelfile import load_model  # noqa: E402
from synthrain import add_rain  # noqa: E402
from test_data import smooth_image, write  # noqa: E402

TINY = ["--dim", "4", "--enc-blocks", "1,1,1", "--dec-blocks", "1,1,1", "--patch", "32",
        "--batch", "2", "--steps", "5", "--threads", "1", "--log-every", "1", "--loss", "l1+ssim"]


def train(tmp, *args):
    cmd = [sys.executable, os.path.join(MODELS, "train.py"), "--runs-dir", os.path.join(tmp, "runs"),
           "--backgrounds", os.path.join(tmp, "backgrounds"), *args]
    print("$ " + " ".join(cmd), flush=True)
    subprocess.run(cmd, check=True)


def make_data(tmp):
    rng = np.random.default_rng(0)
    for i in range(5):
        write(os.path.join(tmp, "backgrounds", "images", f"bg{i}.png"), smooth_image(rng, 96, 128))
    for i in range(2):
        clean = smooth_image(rng, 44, 60)
        for sub, image in (("clean", clean), ("rain", add_rain(clean, rng))):
            write(os.path.join(tmp, "val", sub, f"{i}.png"), image)


def check_rest_weight():
    """A carry step's loss is (W * L0 + L1 + ... ) / (W + frames - 1), where L0 is the
    loss of the first frame (from rest) and W is --rest-weight."""
    torch.manual_seed(0)
    model = ESDNet(dim=2, enc_blocks=(1, 1, 1), dec_blocks=(1, 1, 1), timesteps=2)
    # The output conv starts at zero: give the network something to say.
    torch.nn.init.normal_(model.output[0].weight, std=0.1)
    rain, clean = torch.rand(2, 4, 3, 16, 16), torch.rand(2, 4, 3, 16, 16)
    criterion = Loss("l1")
    model.reset_state()
    with torch.no_grad():
        per_frame = [criterion(model(rain[:, f]), clean[:, f]).item() for f in range(4)]
    for weight in (1.0, 3.0):
        args = argparse.Namespace(temporal="carry", seq_len=2, rest_weight=weight,
                                  temporal_weight=0.0, grad_clip=0.0)
        optimizer = torch.optim.SGD(model.parameters(), lr=0.0)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
        loss, _ = train_py.train_step(model, (rain, clean), criterion, optimizer, scheduler,
                                      args, torch.device("cpu"))
        expected = (weight * per_frame[0] + sum(per_frame[1:])) / (weight + 3)
        assert abs(loss - expected) < 1e-5, f"--rest-weight {weight}: loss {loss}, expected {expected}"


def check_calibrate_bn(skip_first):
    """After calibrate_bn every BatchNorm holds the mean, over all forward passes
    (frames of every sequence; with skip_first all but each sequence's first),
    of its input's per-channel batch mean and unbiased variance; the network's
    parameters do not change."""
    torch.manual_seed(1)
    model = ESDNet(dim=2, enc_blocks=(1, 1, 1), dec_blocks=(1, 1, 1), timesteps=2)
    norms = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    seen = {id(m): [] for m in norms}

    def record(module, inputs):
        x = inputs[0].detach().flatten(0, -4).transpose(0, 1).flatten(1)  # C x everything
        seen[id(module)].append((x.mean(1), x.var(1, unbiased=True)))

    hooks = [m.register_forward_pre_hook(record) for m in norms]
    weights = {k: v.clone() for k, v in model.named_parameters()}
    items = [(torch.rand(3, 3, 16, 16), None) for _ in range(6)]  # sequences of 3 frames
    calibrate_bn(model, items, batches=3, batch_size=2, device=torch.device("cpu"),
                 skip_first=skip_first)
    for h in hooks:
        h.remove()
    for m in norms:
        assert len(seen[id(m)]) == 9, f"{len(seen[id(m)])} forward passes, expected 3 batches x 3 frames"
        means, variances = zip(*(s for i, s in enumerate(seen[id(m)]) if i % 3 or not skip_first))
        assert torch.allclose(m.running_mean, torch.stack(means).mean(0), atol=1e-5)
        assert torch.allclose(m.running_var, torch.stack(variances).mean(0), rtol=1e-4, atol=1e-6)
        assert m.momentum == 0.1, "calibrate_bn left its cumulative momentum behind"
    for k, v in model.named_parameters():
        assert torch.equal(v, weights[k]), f"calibrate_bn changed {k}"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--esdnet", help="the esdnet program, to check that it loads the export")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        make_data(tmp)
        val = ["--val", os.path.join(tmp, "val")]
        model_file = os.path.join(tmp, "smoke.safetensors")

        train(tmp, "--name", "chain", *TINY, *val, "--session-steps", "3")
        chain_dir = os.path.join(tmp, "runs", "chain")
        assert torch.load(os.path.join(chain_dir, "last.pt"))["step"] == 3
        train(tmp, "--name", "chain", "--resume", "--export", model_file, "--export-from", "last")
        last = torch.load(os.path.join(chain_dir, "last.pt"))
        assert last["step"] == 5, last["step"]
        for key in ("config", "model", "optimizer", "scheduler", "rng", "args"):
            assert key in last, f"last.pt lacks {key}"
        assert os.path.exists(os.path.join(chain_dir, "best.pt"))

        # Data and RNG states are checkpointed: the resumed chain is the same training.
        train(tmp, "--name", "whole", *TINY, *val)
        whole = torch.load(os.path.join(tmp, "runs", "whole", "last.pt"))
        for key, value in whole["model"].items():
            assert torch.allclose(value.float(), last["model"][key].float(), atol=1e-5), \
                f"resumed training differs from an uninterrupted one at {key}"

        model, meta = load_model(model_file)
        assert model.config()["dim"] == 4
        assert "step 5 of 5" in meta["training"], meta["training"]
        calibrated = os.path.join(tmp, "calibrated.safetensors")
        subprocess.run([sys.executable, os.path.join(MODELS, "calibrate_bn.py"), model_file, calibrated,
                        "--frames", "2", "--batches", "1", "--batch", "2", "--patch", "32",
                        "--backgrounds", os.path.join(tmp, "backgrounds")], check=True)
        recal, recal_meta = load_model(calibrated)
        assert "step 5 of 5" in recal_meta["training"] and "2-frame sequences" in recal_meta["training"]
        assert all(torch.equal(v, dict(model.named_parameters())[k])
                   for k, v in recal.named_parameters()), "calibrate_bn.py changed weights"
        assert not recal.has_rest_statistics()
        # Two sets: the rest set is what a one-image calibration with the same seed
        # gives. Calibrating a calibrated file replaces the statistics and their note.
        dual, stills = (os.path.join(tmp, f"{n}.safetensors") for n in ("dual", "stills"))
        common = ["--batches", "1", "--batch", "2", "--patch", "32",
                  "--backgrounds", os.path.join(tmp, "backgrounds")]
        subprocess.run([sys.executable, os.path.join(MODELS, "calibrate_bn.py"), calibrated, dual,
                        "--frames", "2", "--rest-batches", "1", *common], check=True)
        subprocess.run([sys.executable, os.path.join(MODELS, "calibrate_bn.py"), model_file, stills,
                        "--frames", "1", *common], check=True)
        dual_model, dual_meta = load_model(dual)
        stills_model, _ = load_model(stills)
        assert dual_model.has_rest_statistics() and "rest statistics" in dual_meta["training"]
        assert dual_meta["training"].count("BatchNorm statistics recomputed") == 1, dual_meta
        for bn, still in zip(dual_model.batch_norms(), stills_model.batch_norms()):
            assert torch.equal(bn.rest_mean, still.running_mean)
            assert torch.equal(bn.rest_var, still.running_var)
            assert not torch.equal(bn.running_mean, still.running_mean)
        if args.esdnet:
            info = subprocess.run([args.esdnet, "info", model_file], check=True,
                                  capture_output=True, text=True).stdout
            print(info)
            assert "step 5 of 5" in info and "rest statistics   no" in info
            info = subprocess.run([args.esdnet, "info", dual], check=True,
                                  capture_output=True, text=True).stdout
            assert "rest statistics   yes" in info, info
            out = os.path.join(tmp, "derained.png")
            subprocess.run([args.esdnet, "derain", "--model", model_file, "--threads", "1",
                            os.path.join(tmp, "val", "rain", "0.png"), out], check=True)
            assert data.read_image(out).shape == (44, 60, 3)

        # Training from a file with rest statistics drops them (they fit its weights only).
        train(tmp, "--name", "carry", *TINY, "--steps", "2", "--temporal", "carry",
              "--seq-len", "2", "--windows", "2", "--val", "none", "--bn-batches", "2",
              "--init", dual)
        log = open(os.path.join(tmp, "runs", "carry", "log.txt")).read()
        assert "rest statistics dropped" in log, log
        assert torch.load(os.path.join(tmp, "runs", "carry", "last.pt"))["step"] == 2
    check_rest_weight()
    check_calibrate_bn(skip_first=False)
    check_calibrate_bn(skip_first=True)
    print("1 passed, 0 failed")


if __name__ == "__main__":
    main()
