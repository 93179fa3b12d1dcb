#!/usr/bin/python3
"""Trains ESDNet (models/esdnet.py) to remove rain, on CPU or CUDA.

    /usr/bin/python3 models/train.py --name NAME [model, data and schedule options]
        [--minutes M] [--resume] [--export FILE]

A run lives in models/runs/NAME: last.pt (resumable: model, optimizer,
scheduler, step, RNG states), best.pt (the best on validation), log.txt.
A run stops cleanly after --minutes, leaving room for its final validation
and checkpoint; a long schedule is a chain of such runs, each started with
--resume. On --resume the run's own model, data and schedule options apply;
only session options (time, threads, device, logging, export) may change.

Training data is synthetic rain (models/synthrain.py) over the background
photos and clips of models/fetch_backgrounds.sh, and/or paired folders
(--data DIR). --temporal carry trains on synthetic video: membranes carry
from frame to frame, with truncated backpropagation through --seq-len frames.
Validation reports Y-channel PSNR/SSIM on a paired folder (by default
RainTrainL from shared/data) with whole-image inference.
"""

import argparse
import math
import os
import platform
import sys
import time

import torch
import torch.nn as nn

from calibrate_bn import calibrate_bn
from data import (Backgrounds, Mixture, PairedImages, PairedPatches, SyntheticRain, rain_arg,
                  to_tensor)
from esdnet import ESDNet, count_parameters, with_defaults
from losses import LOSSES, Loss, y_metrics
from modelfile import DTYPES, export_model, load_model, metadata_to_config

MODELS_DIR = os.path.dirname(os.path.abspath(__file__))
RUNS_DIR = os.path.join(MODELS_DIR, "runs")
DEFAULT_BACKGROUNDS = os.path.join(MODELS_DIR, "data", "backgrounds")
DEFAULT_VALIDATION = os.path.join(MODELS_DIR, "..", "..", "shared", "data", "raintrainl")

# Options that may differ between the resumed runs of one training; all others
# define the training and are taken from its checkpoint on --resume.
SESSION_OPTIONS = {"name", "runs_dir", "resume", "minutes", "session_steps", "threads", "device",
                   "workers", "log_every", "ckpt_minutes", "export", "export_from", "export_dtype",
                   "description"}


def parse_blocks(text):
    blocks = tuple(int(n) for n in text.split(","))
    if len(blocks) != 3:
        raise argparse.ArgumentTypeError("needs 3 comma-separated block counts, e.g. 1,1,1")
    return blocks


def build_parser():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--name", required=True, help="run directory RUNS_DIR/NAME")
    p.add_argument("--runs-dir", default=RUNS_DIR)
    g = p.add_argument_group("model (ESDNet's defaults where not given)")
    g.add_argument("--dim", type=int)
    g.add_argument("--enc-blocks", type=parse_blocks, metavar="N,N,N")
    g.add_argument("--dec-blocks", type=parse_blocks, metavar="N,N,N")
    g.add_argument("--timesteps", type=int)
    g.add_argument("--init", metavar="FILE",
                   help="start from the weights of an engine model file (same network), "
                        "e.g. to continue a committed model on another machine")
    g = p.add_argument_group("data")
    g.add_argument("--data", action="append", metavar="synth|DIR",
                   help="training source, repeatable: 'synth' (synthetic rain over "
                        "--backgrounds) or a paired folder (default: synth)")
    g.add_argument("--backgrounds", default=DEFAULT_BACKGROUNDS)
    g.add_argument("--rain", default="light", type=rain_arg,
                   help="synthetic rain: a style (light, heavy, photoshop), 'mixed' (a quarter "
                        "heavy, the rest light) or shares such as light=1,photoshop=1")
    g.add_argument("--clean-share", type=float, default=0.05,
                   help="share of synthetic items left without rain, so that the network "
                        "learns to leave rain-free detail alone")
    g.add_argument("--patch", type=int, default=128)
    g.add_argument("--batch", type=int, default=8)
    g.add_argument("--val", default=DEFAULT_VALIDATION,
                   help="paired folder for validation ('none': no validation)")
    g = p.add_argument_group("optimisation")
    g.add_argument("--steps", type=int, default=4000)
    g.add_argument("--lr", type=float, default=1e-3)
    g.add_argument("--lr-min", type=float, default=1e-5, help="learning rate at the end of the cosine")
    g.add_argument("--warmup", type=int, help="linear warm-up steps (default: 5%% of --steps, at most 500)")
    g.add_argument("--weight-decay", type=float, default=1e-4)
    g.add_argument("--grad-clip", type=float, default=1.0, help="gradient norm limit (0: none)")
    g.add_argument("--loss", choices=LOSSES, default="ssim", help="ssim is 1 - SSIM, the paper's")
    g.add_argument("--temporal", choices=("reset", "carry"), default="reset",
                   help="reset: every image starts from rest; carry: video sequences with "
                        "membranes carried across frames")
    g.add_argument("--seq-len", type=int, default=4,
                   help="carry: frames per truncated-backpropagation window")
    g.add_argument("--windows", type=int, default=2, help="carry: windows per sequence")
    g.add_argument("--temporal-weight", type=float, default=0.0,
                   help="carry: weight of the flicker loss, mean |change of the output - "
                        "change of the target| between consecutive frames")
    g.add_argument("--rest-weight", type=float, default=1.0,
                   help="carry: weight of the sequence's first frame, the one that starts "
                        "from rest, against 1 for each carried frame (reset mode's share)")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--val-every", type=int, default=500, help="validate every N steps (and at the end)")
    g.add_argument("--bn-batches", type=int, default=0,
                   help="before each validation (or the final checkpoint without one), recompute "
                        "the BatchNorm statistics over N training batches (models/calibrate_bn.py); "
                        "0: keep the running averages")
    g = p.add_argument_group("session")
    g.add_argument("--resume", action="store_true", help="continue models/runs/NAME/last.pt")
    g.add_argument("--minutes", type=float, default=0.0, help="stop after M minutes (0: no limit)")
    g.add_argument("--session-steps", type=int, default=0,
                   help="stop after N steps of this session (0: no limit)")
    g.add_argument("--ckpt-minutes", type=float, default=5.0, help="save last.pt this often")
    g.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    g.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N")
    g.add_argument("--workers", type=int, default=0, help="DataLoader worker processes")
    g.add_argument("--log-every", type=int, default=10)
    g.add_argument("--export", metavar="FILE", help="write the engine's model file at the end")
    g.add_argument("--export-from", choices=("best", "last"), default="best",
                   help="checkpoint to export (best falls back to last without validation)")
    g.add_argument("--export-dtype", choices=sorted(DTYPES), default="F32")
    g.add_argument("--description", help="model file description (default: from the run)")
    return p


def model_config(args):
    given = {"dim": args.dim, "enc_blocks": args.enc_blocks, "dec_blocks": args.dec_blocks,
             "timesteps": args.timesteps}
    return with_defaults({k: v for k, v in given.items() if v is not None})


class Log:
    """Prints and appends to the run's log.txt."""

    def __init__(self, path):
        self.path = path

    def __call__(self, line):
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(line + "\n")


def format_duration(seconds):
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


def machine_description(device, threads):
    if device.type == "cuda":
        return f"{torch.cuda.get_device_name(device)}, torch {torch.__version__}"
    cpu = platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    return f"{cpu}, {threads} thread{'s' if threads != 1 else ''}, torch {torch.__version__}"


def lr_factor(args):
    warmup = args.warmup if args.warmup is not None else min(500, args.steps // 20)
    floor = args.lr_min / args.lr

    def factor(step):
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, args.steps - warmup))
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return factor


def build_optimizer(model, args):
    # No weight decay on batch-norm parameters and biases (1-D tensors).
    decay = [p for p in model.parameters() if p.ndim > 1]
    no_decay = [p for p in model.parameters() if p.ndim <= 1]
    optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                                   {"params": no_decay, "weight_decay": 0.0}], lr=args.lr)
    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, lr_factor(args))


def build_data(args):
    frames = args.seq_len * args.windows if args.temporal == "carry" else 1
    sources = []
    for source in args.data:
        if source == "synth":
            sources.append(SyntheticRain(Backgrounds(args.backgrounds), args.patch, args.seed,
                                         rain=args.rain, frames=frames,
                                         clean_share=args.clean_share))
        elif frames > 1:
            raise SystemExit(f"--temporal carry trains on synthetic video only, not on {source}")
        else:
            if args.val != "none" and os.path.realpath(source) == os.path.realpath(args.val):
                raise SystemExit(f"{source} is also the validation set (--val); pick another")
            sources.append(PairedPatches(source, args.patch, args.seed))
    return Mixture(sources, args.seed)


def load_validation(args, log):
    """[(name, rain, clean)] of the validation folder, or None."""
    if args.val == "none":
        return None
    if not os.path.isdir(args.val):
        log(f"validation folder {args.val} not found: no validation")
        return None
    pairs = list(PairedImages(args.val))
    # A pair whose input equals its target has no rain to remove (and an infinite PSNR).
    same = [name for name, rain, clean in pairs if (rain == clean).all()]
    if same:
        log(f"validation: skipping {', '.join(same)} (input identical to target)")
    return [p for p in pairs if p[0] not in same]


def evaluate(model, pairs, device, outputs=True):
    """Mean Y-PSNR and Y-SSIM over the pairs, each image whole and from rest;
    with outputs=False the rainy inputs themselves are scored."""
    psnr = ssim = 0.0
    was_training = model.training
    model.eval()
    with torch.no_grad():
        for _, rain, clean in pairs:
            x = to_tensor(rain)
            if outputs:
                model.reset_state()
                x = model(x[None].to(device))[0].cpu()
            p, s = y_metrics(x, to_tensor(clean))
            psnr, ssim = psnr + p, ssim + s
    model.reset_state()
    model.train(was_training)
    return psnr / len(pairs), ssim / len(pairs)


def batch_psnr(output, target):
    mse = ((output.detach().clamp(0, 1) - target) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return (-10.0 * torch.log10(mse)).mean().item()


def train_step(model, batch, criterion, optimizer, scheduler, args, device):
    """One optimizer step; returns (loss, PSNR of the outputs in dB)."""
    rain, clean = (t.to(device, non_blocking=True) for t in batch)
    optimizer.zero_grad(set_to_none=True)
    model.reset_state()
    if args.temporal == "reset":
        output = model(rain)
        loss = criterion(output, clean)
        loss.backward()
        loss, psnr = loss.item(), batch_psnr(output, clean)
    else:
        # Truncated backpropagation through time: the membranes carry across all
        # frames of the sequence, gradients only within a window of seq_len frames.
        # The loss is the weighted mean over frames (gradients accumulate window
        # by window); --rest-weight sets how much the frame from rest counts, so
        # one model can serve reset mode too. The flicker term compares each
        # frame's change with the target's; across a window boundary the previous
        # output is a constant.
        frames = rain.shape[1]
        total = args.rest_weight + frames - 1
        loss = psnr = 0.0
        previous = None
        for start in range(0, frames, args.seq_len):
            window = 0.0
            for f in range(start, min(frames, start + args.seq_len)):
                output = model(rain[:, f])
                weight = args.rest_weight if f == 0 else 1.0
                window = window + weight * criterion(output, clean[:, f])
                if args.temporal_weight > 0 and previous is not None:
                    change = (output - previous) - (clean[:, f] - clean[:, f - 1])
                    window = window + args.temporal_weight * change.abs().mean()
                previous = output
                psnr += batch_psnr(output, clean[:, f]) / frames
            (window / total).backward()
            loss += window.item() / total
            model.detach_state()
            previous = previous.detach()
    model.reset_state()  # frees the last graph held by the membranes
    if args.grad_clip > 0:
        torch.nn.utils.clip_grad_norm_(model.parameters(), args.grad_clip)
    optimizer.step()
    scheduler.step()
    return loss, psnr


def save(obj, path):
    """Writes atomically: an interrupted save never leaves a broken checkpoint."""
    torch.save(obj, path + ".tmp")
    os.replace(path + ".tmp", path)


def rng_state(device):
    state = {"torch": torch.get_rng_state()}
    if device.type == "cuda":
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state):
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def training_summary(ckpt):
    """The 'training' metadata string of an exported model file."""
    a = ckpt["args"]
    mode = (f"carry mode, {a['windows']} windows of {a['seq_len']} frames"
            if a["temporal"] == "carry" else "reset mode")
    if a["temporal"] == "carry" and a.get("rest_weight", 1.0) != 1.0:
        mode += f", the first from rest weighted {a['rest_weight']:g}"
    if a.get("bn_batches", 0) > 0:
        mode += f", BatchNorm statistics over {a['bn_batches']} training batches"
    text = (f"models/train.py run {a['name']}: step {ckpt['step']} of {a['steps']}, batch "
            f"{a['batch']} x {a['patch']}px patches, {mode}, loss {a['loss']}, AdamW lr {a['lr']:g} "
            f"cosine, seed {a['seed']}; data: {ckpt['data']}; {ckpt['minutes']:.1f} min on "
            f"{ckpt['machine']}")
    v = ckpt.get("validation")
    if v:
        text += (f"; validation {v['set']} ({v['images']} images, whole-image): Y-PSNR "
                 f"{v['psnr']:.2f} dB, Y-SSIM {v['ssim']:.4f} (rainy input {v['input_psnr']:.2f} dB, "
                 f"{v['input_ssim']:.4f})")
    return text


def export(run_dir, args, log):
    which = args.export_from
    path = os.path.join(run_dir, f"{which}.pt")
    if not os.path.exists(path):
        which, path = "last", os.path.join(run_dir, "last.pt")
    ckpt = torch.load(path, map_location="cpu")
    description = args.description or (f"ESDNet dim {ckpt['config']['dim']}, trained on "
                                       f"synthetic rain (run {ckpt['args']['name']}, {which} checkpoint)")
    export_model(ckpt["model"], ckpt["config"], args.export, dtype=args.export_dtype,
                 description=description, training=training_summary(ckpt))
    log(f"exported {which}.pt (step {ckpt['step']}) to {args.export} "
        f"({os.path.getsize(args.export) / 1024:.0f} KiB)")


def resume_args(parser, args, saved):
    """The run's saved options, with this session's; refuses changes to the others."""
    for key, value in saved.items():
        if key in SESSION_OPTIONS or not hasattr(args, key):
            continue
        given = getattr(args, key)
        if given != parser.get_default(key) and given != value:
            parser.error(f"--{key.replace('_', '-')} {given} differs from run {args.name}'s "
                         f"{value}; a resumed run keeps its options (start a new --name instead)")
        setattr(args, key, value)
    return args


class Trainer:
    """One run of a training: its model, optimizer, data, checkpoints and log."""

    def __init__(self, parser, args, argv):
        self.run_dir = os.path.join(args.runs_dir, args.name)
        self.last_path = os.path.join(self.run_dir, "last.pt")
        self.best_path = os.path.join(self.run_dir, "best.pt")
        ckpt = None
        if args.resume:
            if not os.path.exists(self.last_path):
                parser.error(f"--resume: {self.last_path} does not exist")
            ckpt = torch.load(self.last_path, map_location="cpu")
            args = resume_args(parser, args, ckpt["args"])
        elif os.path.exists(self.last_path):
            parser.error(f"run {args.name} exists: pass --resume to continue it, or another --name")
        args.data = args.data or ["synth"]
        if args.rest_weight <= 0:
            parser.error(f"--rest-weight {args.rest_weight}: must be above 0")
        if not 0.0 <= args.clean_share < 1.0:
            parser.error(f"--clean-share {args.clean_share}: must be at least 0 and below 1")
        if args.bn_batches < 0:
            parser.error(f"--bn-batches {args.bn_batches}: must be 0 or more")
        self.args = args
        os.makedirs(self.run_dir, exist_ok=True)
        self.log = log = Log(os.path.join(self.run_dir, "log.txt"))
        self.started = time.time()

        if args.threads > 0:
            torch.set_num_threads(args.threads)
        self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu") \
            if args.device == "auto" else torch.device(args.device)
        self.machine = machine_description(self.device, torch.get_num_threads())
        torch.manual_seed(args.seed)
        config = model_config(args)
        self.model = ESDNet.from_config(config).to(self.device).train()
        self.optimizer, self.scheduler = build_optimizer(self.model, args)
        self.criterion = Loss(args.loss)
        self.step, self.minutes_before = 0, 0.0
        self.best = self.last_validation = self.val_seconds = None
        if ckpt is None:
            log(f"run {args.name}: {' '.join(sys.argv[1:] if argv is None else argv)}")
            if args.init:
                self.init_from(parser, args.init, config)
            else:
                # The output convolution starts at zero: the untrained network is then
                # the identity (y = x, ESDNet's global residual), so training refines
                # the rainy input instead of first undoing a random output.
                nn.init.zeros_(self.model.output[0].weight)
                nn.init.zeros_(self.model.output[0].bias)
        else:
            self.model.load_state_dict(ckpt["model"])
            self.optimizer.load_state_dict(ckpt["optimizer"])
            self.scheduler.load_state_dict(ckpt["scheduler"])
            set_rng_state(ckpt["rng"])
            self.step, self.minutes_before = ckpt["step"], ckpt["minutes"]
            self.best, self.last_validation = ckpt["best"], ckpt["validation"]
            self.val_seconds = ckpt["val_seconds"]
            log(f"resumed run {args.name} at step {self.step}/{args.steps} "
                f"({self.minutes_before:.1f} min trained so far)")
        log(f"model {config}, {count_parameters(config):,} parameters; {self.machine}, "
            f"device {self.device}")

        self.dataset = build_data(args)
        log(f"data: {self.dataset.description}")
        self.validation = load_validation(args, log)
        if self.validation:
            in_psnr, in_ssim = evaluate(self.model, self.validation, self.device, outputs=False)
            self.val_set = {"set": os.path.basename(os.path.normpath(args.val)),
                            "images": len(self.validation),
                            "input_psnr": in_psnr, "input_ssim": in_ssim}
            log(f"validation: {len(self.validation)} pairs of {args.val}; rainy input "
                f"Y-PSNR {in_psnr:.2f} dB, Y-SSIM {in_ssim:.4f}")

    def init_from(self, parser, path, config):
        try:
            model, meta = load_model(path)
        except (OSError, ValueError) as e:
            parser.error(f"--init {path}: {e}")
        if metadata_to_config(meta) != config:
            parser.error(f"--init {path}: its network {metadata_to_config(meta)} is not this run's "
                         f"{config}; pass the same --dim, blocks and --timesteps")
        # Rest statistics describe the file's weights as they are; training moves them.
        own = self.model.state_dict()
        self.model.load_state_dict({k: v for k, v in model.state_dict().items() if k in own})
        self.log(f"weights from {path}" + (" (its rest statistics dropped)"
                                             if model.has_rest_statistics() else ""))

    def minutes(self):
        return self.minutes_before + (time.time() - self.started) / 60.0

    def validate(self):
        """Validates, keeps best.pt and saves last.pt."""
        t = time.time()
        self.calibrate()
        psnr, ssim = evaluate(self.model, self.validation, self.device)
        self.val_seconds = time.time() - t
        self.log(f"validation step {self.step}: Y-PSNR {psnr:.2f} dB, Y-SSIM {ssim:.4f} "
                 f"(input {self.val_set['input_psnr']:.2f} dB, {self.val_set['input_ssim']:.4f}) "
                 f"in {self.val_seconds:.0f}s")
        self.last_validation = dict(self.val_set, psnr=psnr, ssim=ssim, step=self.step)
        # The untrained network (the identity, at step 0) is a baseline, not a candidate.
        if self.step > 0 and (self.best is None or psnr > self.best["psnr"]):
            self.best = self.last_validation
            save(self.state(), self.best_path)
            self.log(f"best.pt: step {self.step}, {psnr:.2f} dB")
        self.checkpoint()

    def calibrate(self):
        if self.args.bn_batches > 0:
            calibrate_bn(self.model, self.dataset, self.args.bn_batches, self.args.batch, self.device)

    def state(self):
        """What best.pt holds (and convert.py reads): enough to export or evaluate."""
        return {"config": self.model.config(), "model": self.model.state_dict(),
                "step": self.step, "args": vars(self.args), "minutes": self.minutes(),
                "data": self.dataset.description, "machine": self.machine,
                "validation": self.last_validation}

    def checkpoint(self):
        save(dict(self.state(), optimizer=self.optimizer.state_dict(),
                  scheduler=self.scheduler.state_dict(), rng=rng_state(self.device),
                  best=self.best, val_seconds=self.val_seconds), self.last_path)

    def train(self):
        args, log = self.args, self.log
        loader = torch.utils.data.DataLoader(
            self.dataset, batch_size=args.batch,
            sampler=range(self.step * args.batch, args.steps * args.batch),
            num_workers=args.workers, pin_memory=self.device.type == "cuda")
        deadline = self.started + args.minutes * 60.0 if args.minutes > 0 else math.inf
        validated_at = (self.last_validation or {}).get("step")
        if self.validation and self.val_seconds is None:
            # Measures how long validation takes, which the time limit must leave room for.
            self.validate()
            validated_at = self.step
        last_ckpt, first_step = time.time(), self.step
        window_start, window_steps, window_loss, window_psnr = time.time(), 0, 0.0, 0.0
        for batch in loader:
            loss, psnr = train_step(self.model, batch, self.criterion, self.optimizer,
                                    self.scheduler, args, self.device)
            self.step += 1
            window_steps += 1
            window_loss, window_psnr = window_loss + loss, window_psnr + psnr
            if self.step % args.log_every == 0 or self.step == args.steps:
                rate = window_steps / (time.time() - window_start)
                log(f"step {self.step}/{args.steps}  loss {window_loss / window_steps:.4f}  "
                    f"psnr {window_psnr / window_steps:.2f} dB  {rate:.2f} step/s  "
                    f"ETA {format_duration((args.steps - self.step) / rate)}  "
                    f"lr {self.scheduler.get_last_lr()[0]:.2e}")
                window_start, window_steps, window_loss, window_psnr = time.time(), 0, 0.0, 0.0
            if self.validation and args.val_every > 0 and self.step % args.val_every == 0:
                self.validate()
                validated_at, last_ckpt = self.step, time.time()
            elif time.time() - last_ckpt > args.ckpt_minutes * 60.0:
                self.checkpoint()
                last_ckpt = time.time()
            if self.step == args.steps:
                break
            # Stop early enough for the final validation and checkpoint.
            if time.time() + (self.val_seconds or 0) + 10.0 > deadline:
                log(f"stopping at step {self.step}: --minutes {args.minutes:g} reached")
                break
            if self.step - first_step == args.session_steps:
                log(f"stopping at step {self.step}: --session-steps {args.session_steps} done")
                break
        if validated_at != self.step:
            if self.validation:
                self.validate()
            else:
                self.calibrate()
                self.checkpoint()
        log(f"run {args.name}: step {self.step}/{args.steps}, {self.minutes():.1f} min trained "
            "in all" + (f"; best {self.best['psnr']:.2f} dB at step {self.best['step']}"
                        if self.best else ""))


def main(argv=None):
    parser = build_parser()
    trainer = Trainer(parser, parser.parse_args(argv), argv)
    trainer.train()
    if trainer.args.export:
        export(trainer.run_dir, trainer.args, trainer.log)


if __name__ == "__main__":
    main()
