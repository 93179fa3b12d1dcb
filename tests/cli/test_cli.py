#!/usr/bin/python3
"""End-to-end tests of the esdnet program.

    test_cli.py CASE ESDNET MODEL GST_LAUNCH

CASE is one of the functions in CASES; ESDNET the built program, MODEL a model
file, GST_LAUNCH gst-launch-1.0 (it makes the test images).
"""

import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
from case_runner import Failure, Skip, check, run_case  # noqa: E402

ESDNET, MODEL, GST_LAUNCH = sys.argv[2:5]


def run(*args, env=None):
    """Runs esdnet; returns (exit status, stdout, stderr)."""
    p = subprocess.run([ESDNET, *args], capture_output=True, text=True,
                       env=env, timeout=120)
    return p.returncode, p.stdout, p.stderr


def run_ok(*args):
    rc, out, err = run(*args)
    check(rc == 0, f"esdnet {' '.join(args)} exited {rc}: {err}")
    return out


def make_images(pattern, location, width, height, encoder="pngenc", frames=1):
    """Test pictures from videotestsrc; with frames > 1, location holds %02d."""
    sink = ["multifilesink"] if frames > 1 else ["filesink"]
    subprocess.run([GST_LAUNCH, "-q", "videotestsrc", f"num-buffers={frames}",
                    f"pattern={pattern}", "!",
                    f"video/x-raw,width={width},height={height}", "!",
                    encoder, "!", *sink, f"location={location}"],
                   check=True, timeout=60)


def png_size(path):
    """(width, height) from the IHDR chunk, which a PNG must start with."""
    with open(path, "rb") as f:
        head = f.read(24)
    check(head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR",
          f"{path} is not a PNG")
    return struct.unpack(">II", head[16:24])


def read(path):
    with open(path, "rb") as f:
        return f.read()


_gst = None


def gst():
    """GStreamer through PyGObject, to look into the videos written."""
    global _gst
    if _gst is None:
        try:
            import gi
            gi.require_version("Gst", "1.0")
            gi.require_version("GstPbutils", "1.0")
            from gi.repository import Gst, GstPbutils
        except (ImportError, ValueError) as e:
            raise Skip(f"no GStreamer for Python (python3-gi): {e}")
        Gst.init(None)
        _gst = (Gst, GstPbutils)
    return _gst


def have(element):
    Gst, _ = gst()
    return Gst.ElementFactory.find(element) is not None


def make_clip(path, frames=10, width=64, height=48, pattern="ball", audio=True):
    """An H.264 clip at 10 fps, with a compressed audio track of the same
    length if audio. The container follows the name: .mp4 or .mkv."""
    if not have("x264enc"):
        raise Skip("no x264enc to make test clips")
    mux = "mp4mux" if path.endswith(".mp4") else "matroskamux"
    pipeline = ["videotestsrc", f"num-buffers={frames}", f"pattern={pattern}",
                "!", f"video/x-raw,width={width},height={height},"
                "framerate=10/1,format=I420", "!", "x264enc", "!", "queue",
                "!", mux, "name=m", "!", "filesink", f"location={path}"]
    if audio:
        encoders = (["avenc_aac", "voaacenc", "lamemp3enc"] if mux == "mp4mux"
                    else ["vorbisenc", "opusenc", "avenc_aac", "lamemp3enc"])
        encoder = next((e for e in encoders if have(e)), None)
        if encoder is None:
            raise Skip(f"no audio encoder for {mux}")
        pipeline += ["audiotestsrc", f"num-buffers={frames}",
                     "samplesperbuffer=4410", "!", "audio/x-raw,rate=44100",
                     "!", "audioconvert", "!", encoder, "!", "queue", "!",
                     "m."]
    subprocess.run([GST_LAUNCH, "-q", *pipeline], check=True, timeout=60)


def streams(path):
    """{"video": [(width, height)], "audio": [media type], "duration": s}"""
    Gst, GstPbutils = gst()
    info = GstPbutils.Discoverer.new(30 * Gst.SECOND).discover_uri(
        Gst.filename_to_uri(path))
    result = {"video": [], "audio": [], "duration": info.get_duration() / 1e9}
    for s in info.get_video_streams():
        result["video"].append((s.get_width(), s.get_height()))
    for s in info.get_audio_streams():
        result["audio"].append(s.get_caps().get_structure(0).get_name())
    return result


def count_frames(path):
    """Decodes the first video stream; the number of frames."""
    Gst, _ = gst()
    pipeline = Gst.Pipeline.new(None)
    src = Gst.ElementFactory.make("filesrc")
    decode = Gst.ElementFactory.make("decodebin")
    sink = Gst.ElementFactory.make("fakesink")
    src.set_property("location", path)
    for e in (src, decode, sink):
        pipeline.add(e)
    src.link(decode)
    frames = [0]

    def pad_added(_, pad):
        name = pad.get_current_caps().get_structure(0).get_name()
        target = sink
        if not name.startswith("video/") or sink.get_static_pad("sink").is_linked():
            target = Gst.ElementFactory.make("fakesink")
            target.set_property("async", False)
            pipeline.add(target)
            target.sync_state_with_parent()
        pad.link(target.get_static_pad("sink"))

    def count(pad, info):
        frames[0] += 1
        return Gst.PadProbeReturn.OK

    decode.connect("pad-added", pad_added)
    sink.get_static_pad("sink").add_probe(Gst.PadProbeType.BUFFER, count)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        60 * Gst.SECOND, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is None or msg.type != Gst.MessageType.EOS:
        raise Failure(f"cannot decode {path}: "
                      f"{msg.parse_error()[0].message if msg else 'timeout'}")
    return frames[0]


def summary(out):
    """(frames, firing rate) from the video summary line."""
    words = out.split()
    check("frames," in words and "rate" in words, f"no summary in {out!r}")
    return (int(words[words.index("frames,") - 1]),
            float(words[words.index("rate") + 1]))


# ------------------------------------------------------------------- cases

def derain_png(tmp):
    src = os.path.join(tmp, "rainy picture.png")  # a space, on purpose
    dst = os.path.join(tmp, "out.png")
    make_images("smpte", src, 37, 23)
    out = run_ok("derain", "--model", MODEL, src, dst)
    check(png_size(dst) == (37, 23), f"output size {png_size(dst)}")
    check(f"{src} -> {dst}  37x23  " in out and " ms\n" in out,
          f"no progress line in {out!r}")
    check("1 frame, mean " in out and "firing rate" in out,
          f"no summary in {out!r}")


def builtin_model(tmp):
    """Without --model or ESDNET_MODEL the model compiled into esdnet runs."""
    src = os.path.join(tmp, "in.png")
    dst = os.path.join(tmp, "out.png")
    make_images("snow", src, 19, 11)
    env = {k: v for k, v in os.environ.items() if k != "ESDNET_MODEL"}
    rc, out, err = run("derain", src, dst, env=env)
    check(rc == 0 and png_size(dst) == (19, 11), f"exit {rc}: {err}")
    rc, out, err = run("bench", "--size", "16x8", "--frames", "1", "--json",
                       env=env)
    check(rc == 0 and '"model": "built-in' in out, f"exit {rc}: {out} {err}")


def derain_jpeg(tmp):
    src = os.path.join(tmp, "in.jpg")
    dst = os.path.join(tmp, "out.png")
    make_images("ball", src, 40, 30, encoder="jpegenc")
    run_ok("derain", "--model", MODEL, "--threads", "1", src, dst)
    check(png_size(dst) == (40, 30), f"output size {png_size(dst)}")


def derain_directory(tmp):
    frames = os.path.join(tmp, "frames")
    os.mkdir(frames)
    make_images("ball", os.path.join(frames, "f%02d.png"), 33, 21, frames=3)
    with open(os.path.join(frames, "notes.txt"), "w") as f:
        f.write("not an image, skipped\n")
    names = ["f00.png", "f01.png", "f02.png"]
    outputs = {}
    for mode in ("reset", "carry"):
        dst = os.path.join(tmp, "out-" + mode, "new")  # made with its parent
        out = run_ok("derain", "--model", MODEL, "--temporal", mode,
                     "--threads", "1", frames, dst)
        check(sorted(os.listdir(dst)) == names, f"{mode}: {os.listdir(dst)}")
        check(out.count(" -> ") == 3 and "3 frames, mean" in out,
              f"{mode}: output {out!r}")
        outputs[mode] = [read(os.path.join(dst, n)) for n in names]
        for n in names:
            check(png_size(os.path.join(dst, n)) == (33, 21), f"{mode}: {n} size")
    # Both modes start the first frame from rest; carry then differs.
    check(outputs["reset"][0] == outputs["carry"][0],
          "first frame differs between reset and carry")
    check(outputs["reset"][1:] != outputs["carry"][1:],
          "carry gives the same frames 2 and 3 as reset")


def derain_sizes(tmp):
    """A directory of pictures of different sizes: each size gets its stream."""
    src = os.path.join(tmp, "in")
    os.mkdir(src)
    make_images("smpte", os.path.join(src, "a.PNG"), 20, 10)
    make_images("ball", os.path.join(src, "b.jpeg"), 12, 17, encoder="jpegenc")
    make_images("snow", os.path.join(src, "c.png"), 20, 10)
    dst = os.path.join(tmp, "out")
    out = run_ok("derain", "--model", MODEL, "--temporal", "carry", src, dst)
    lines = out.splitlines()
    check([line.split()[0] for line in lines[:3]] ==
          [os.path.join(src, n) for n in ("a.PNG", "b.jpeg", "c.png")],
          f"not in name order: {out!r}")
    check([png_size(os.path.join(dst, n)) for n in ("a.png", "b.png", "c.png")]
          == [(20, 10), (12, 17), (20, 10)], "output sizes")


def info(tmp):
    out = run_ok("info", MODEL)
    info_json = json.loads(run_ok("info", "--json", MODEL))
    check(info_json["dim"] == 16 and info_json["timesteps"] == 4,
          f"configuration {info_json}")
    check(info_json["param_count"] > 0 and info_json["dense_macs_per_pixel"] > 0,
          f"counts {info_json}")
    for line in ("dim               16\n",
                 f"parameters        {info_json['param_count']} ("):
        check(line in out, f"{line!r} missing from {out!r}")
    check(isinstance(info_json["description"], str), "no description")


def bench(tmp):
    result = json.loads(run_ok("bench", "--model", MODEL, "--frames", "2",
                               "--size", "32x24", "--json"))
    check(result["fps"] > 0 and result["width"] == 32 and result["height"] == 24,
          f"result {result}")
    for key in ("model", "threads", "temporal", "frames", "median_ms", "min_ms",
                "max_ms", "peak_rss_mb", "firing_rate", "acs", "macs",
                "ann_macs", "energy_uj", "ann_energy_uj", "synaptic_ops",
                "spike_conv_gops", "dense_gmacs"):
        check(key in result, f"no {key} in {result}")
    check("layers" not in result, "layers without --layers")
    check(0 < result["firing_rate"] < 1, f"firing rate {result['firing_rate']}")
    # Spikes drive a fraction of the synapses: 0 < ACs < all synaptic operations.
    check(0 < result["acs"] < result["synaptic_ops"],
          f"ACs {result['acs']} against synaptic ops {result['synaptic_ops']}")
    check(result["spike_conv_gops"] > 0 and result["dense_gmacs"] > 0,
          f"throughput {result['spike_conv_gops']} / {result['dense_gmacs']}")
    check(result["membranes"] == "f32", f"default membranes {result['membranes']}")
    # Binary16 membranes: reported, and the stream is smaller (a 512x512
    # frame of the built-in model has ~20 MB of float32 membranes).
    peak = {}
    for p in ("f32", "f16"):
        r = json.loads(run_ok("bench", "--frames", "1", "--warmup", "0", "--size",
                              "512x512", "--temporal", "carry", "--membranes", p,
                              "--json"))
        check(r["membranes"] == p, f"membranes {r['membranes']} for {p}")
        peak[p] = r["peak_rss_mb"]
    check(peak["f16"] < peak["f32"] - 5, f"peak memory f16 {peak['f16']} against "
          f"f32 {peak['f32']} MB")

    layered = json.loads(run_ok("bench", "--model", MODEL, "--frames", "1",
                                "--warmup", "0", "--size", "8x8", "--temporal",
                                "carry", "--layers", "--json"))
    check(len(layered["layers"]) > 0 and "name" in layered["layers"][0],
          f"layers {layered.get('layers')}")
    text = run_ok("bench", "--model", MODEL, "--frames", "1", "--size", "8x8",
                  "--layers")
    check("fps" in text and "synaptic ops/s" in text
          and layered["layers"][0]["name"] in text, f"text output {text!r}")


def ensemble(tmp):
    """--ensemble N: another picture (the mean of N views), N times the
    operations, and the count reported by bench and eval."""
    rain, clean = os.path.join(tmp, "rain"), os.path.join(tmp, "clean")
    os.mkdir(rain)
    os.mkdir(clean)
    src = os.path.join(rain, "a.png")
    make_images("snow", src, 29, 17)
    make_images("smpte", os.path.join(clean, "a.png"), 29, 17)
    pictures = {}
    for n in ("1", "4"):
        dst = os.path.join(tmp, f"out{n}.png")
        run_ok("derain", "--model", MODEL, "--ensemble", n, src, dst)
        pictures[n] = read(dst)
    check(pictures["1"] != pictures["4"], "--ensemble 4 wrote the one-view picture")
    r = {n: json.loads(run_ok("bench", "--model", MODEL, "--size", "32x24",
                              "--frames", "1", "--warmup", "0", "--ensemble", n,
                              "--json")) for n in ("1", "2")}
    check(r["1"]["ensemble"] == 1 and r["2"]["ensemble"] == 2,
          f"ensemble reported {r['1']['ensemble']}, {r['2']['ensemble']}")
    for key in ("macs", "ann_macs"):
        check(abs(r["2"][key] - 2 * r["1"][key]) <= 1e-9 * r["1"][key],
              f"{key}: {r['2'][key]} with 2 views, {r['1'][key]} with 1")
    text = run_ok("eval", "--model", MODEL, "--ensemble", "3", rain, clean)
    check("ensemble of 3 views" in text, f"eval output {text!r}")
    result = json.loads(run_ok("eval", "--model", MODEL, "--json", rain, clean))
    check(result["ensemble"] == 1, f"eval --json ensemble {result.get('ensemble')}")


def help_and_version(tmp):
    check("Usage: esdnet COMMAND" in run_ok("--help"), "esdnet --help")
    for command in ("derain", "info", "bench"):
        check(f"Usage: esdnet {command}" in run_ok(command, "--help"),
              f"esdnet {command} --help")
    check(run_ok("--version").startswith("esdnet "), "esdnet --version")


def errors(tmp):
    image = os.path.join(tmp, "in.png")
    make_images("smpte", image, 8, 8)
    not_image = os.path.join(tmp, "text.png")
    with open(not_image, "w") as f:
        f.write("this is not a picture\n")
    corrupt = os.path.join(tmp, "corrupt.safetensors")
    with open(corrupt, "wb") as f:
        f.write(bytes([7, 200, 13, 0, 255, 42, 1, 99, 180, 3]))
    empty = os.path.join(tmp, "empty")
    os.mkdir(empty)
    out = os.path.join(tmp, "out.png")
    m = ["--model", MODEL]

    # (arguments, exit status, text the message must hold, environment)
    cases = [
        (["derain", image, out], 1, "corrupt.safetensors",
         dict(os.environ, ESDNET_MODEL=corrupt)),
        (["derain", *m, os.path.join(tmp, "nope.png"), out], 1, "nope.png", None),
        (["derain", *m, not_image, out], 1, "text.png", None),
        (["derain", *m, empty, os.path.join(tmp, "o")], 1, "no PNG or JPEG", None),
        (["derain", *m, tmp, tmp], 2, "another directory", None),
        (["derain", *m, image, os.path.join(tmp, "no", "such", "dir.png")], 1,
         "cannot write", None),
        (["derain", *m, "--threads", "abc", image, out], 2,
         "--threads: 'abc' is not a number", None),
        (["derain", *m, "--threads", "4x", image, out], 2, "not a number", None),
        (["derain", *m, "--threads", "-1", image, out], 2, "out of range", None),
        (["derain", *m, "--threads", "99999999999999999999", image, out], 2,
         "out of range", None),
        (["derain", *m, "--temporal", "sometimes", image, out], 2, "--temporal",
         None),
        (["derain", *m, image], 2, "missing operand", None),
        (["derain", *m, image, out, "extra"], 2, "unexpected operand", None),
        (["derain", "--model"], 2, "--model needs a value", None),
        (["derain", "--model", corrupt, image, out], 1, "corrupt.safetensors",
         None),
        (["info", corrupt], 1, "corrupt.safetensors", None),
        (["info", os.path.join(tmp, "none.safetensors")], 1, "none.safetensors",
         None),
        (["info"], 2, "missing operand", None),
        (["info", "--json=yes", MODEL], 2, "--json takes no value", None),
        (["bench", *m, "--size", "32x"], 2, "--size", None),
        (["bench", *m, "--size", "0x10"], 2, "out of range", None),
        (["bench", *m, "--size", "4097x10"], 2, "out of range", None),
        (["bench", *m, "--size", "32x2305"], 2, "out of range", None),
        (["bench", *m, "--size", "32x24 "], 2, "--size", None),
        (["bench", *m, "--frames", "0"], 2, "--frames", None),
        (["bench", *m, "--membranes", "f8"], 2, "neither f32 nor f16", None),
        (["bench", *m, "--ensemble", "5"], 2, "--ensemble: 5 is out of range",
         None),
        (["derain", *m, "--ensemble", "0", image, out], 2, "--ensemble", None),
        (["eval", *m, "--ensemble", "two", tmp, tmp], 2, "--ensemble", None),
        (["bench", *m, "--warmup", ""], 2, "--warmup", None),
        (["bench", *m, "extra"], 2, "unexpected operand", None),
        (["bench", *m, "--fast"], 2, "unknown option '--fast'", None),
        (["bench", *m, "-f"], 2, "unknown option '-f'", None),
        (["rain"], 2, "unknown command 'rain'", None),
        (["--verbose"], 2, "unknown option '--verbose'", None),
        ([], 2, "Usage", None),
    ]
    failures = []
    for args, status, text, env in cases:
        rc, stdout, stderr = run(*args, env=env)
        if rc != status or text not in stderr or (status == 2 and stdout):
            failures.append(f"esdnet {' '.join(args)}: exit {rc} (want {status}),"
                            f" stderr {stderr!r}, stdout {stdout!r}")
    check(not failures, "\n".join(failures))


# ------------------------------------------------------------------ video

V = ["--model", MODEL, "--threads", "1"]


def derain_video(tmp):
    """Every frame derained, audio passed through, in MP4 and Matroska."""
    src = os.path.join(tmp, "rainy clip.mp4")  # a space, on purpose
    make_clip(src)
    src_audio = streams(src)["audio"]
    check(len(src_audio) == 1, f"test clip streams {streams(src)}")
    for name in ("out.mp4", "out.mkv", "out.video"):  # .video: Matroska
        dst = os.path.join(tmp, name)
        rc, out, err = run("derain", *V, src, dst)
        # Not a terminal: no progress line, nothing on stderr.
        check(rc == 0 and err == "", f"{name}: exit {rc}, stderr {err!r}")
        check(summary(out)[0] == 10 and f"{src} -> {dst}  64x48  " in out
              and " fps, " in out, f"{name}: summary {out!r}")
        got = streams(dst)
        check(got["video"] == [(64, 48)], f"{name}: video {got}")
        check(got["audio"] == src_audio, f"{name}: audio {got} "
              f"(input {src_audio})")
        check(count_frames(dst) == 10, f"{name}: {count_frames(dst)} frames")
    # Matroska in, MP4 out: audio the muxer cannot take is re-encoded.
    mkv = os.path.join(tmp, "in.mkv")
    make_clip(mkv, pattern="snow")
    dst = os.path.join(tmp, "from-mkv.mp4")
    run_ok("derain", *V, mkv, dst)
    got = streams(dst)
    check(len(got["audio"]) == 1 and count_frames(dst) == 10,
          f"mkv -> mp4: {got}")
    # A video is known by its content too, whatever its name.
    renamed = os.path.join(tmp, "clip.data")
    os.rename(src, renamed)
    out = run_ok("derain", *V, renamed, os.path.join(tmp, "renamed.mkv"))
    check(summary(out)[0] == 10, f"renamed clip: {out!r}")


def video_side_by_side(tmp):
    """--side-by-side: original and derained next to each other."""
    image = os.path.join(tmp, "in.png")
    make_images("smpte", image, 37, 23)
    dst = os.path.join(tmp, "pair.png")
    out = run_ok("derain", *V, "--side-by-side", image, dst)
    check(png_size(dst) == (74, 23) and " -> " in out and "74x23" in out,
          f"image size {png_size(dst)}, {out!r}")
    clip = os.path.join(tmp, "in.mkv")
    make_clip(clip, audio=False)
    dst = os.path.join(tmp, "pair.mp4")
    out = run_ok("derain", *V, "--side-by-side", clip, dst)
    check(streams(dst)["video"] == [(128, 48)] and "128x48" in out,
          f"video {streams(dst)}, {out!r}")
    check(count_frames(dst) == 10, "frames")


def video_temporal_reset(tmp):
    """Video defaults to carry; --temporal reset runs every frame from rest
    and gives other activity from the second frame on."""
    clip = os.path.join(tmp, "in.mp4")
    make_clip(clip)
    rates = {}
    for mode in ("default", "reset", "carry"):
        dst = os.path.join(tmp, mode + ".mp4")
        args = [] if mode == "default" else ["--temporal", mode]
        frames, rates[mode] = summary(run_ok("derain", *V, *args, clip, dst))
        check(frames == 10 and count_frames(dst) == 10, f"{mode}: frames")
    check(rates["default"] == rates["carry"], f"default is not carry: {rates}")
    check(rates["reset"] != rates["carry"], f"reset gives carry's rate: {rates}")
    # --scene-cut 0: never reset; 1: the default rule never fires on a ball
    for value in ("0", "1", "0.5"):
        run_ok("derain", *V, "--scene-cut", value, clip,
               os.path.join(tmp, "cut.mp4"))


def video_interrupt(tmp):
    """On a terminal, a progress line; Ctrl-C ends the output early as a
    playable file, audio cut to the video, exit status 130."""
    clip = os.path.join(tmp, "long.mp4")
    make_clip(clip, frames=200)
    dst = os.path.join(tmp, "short.mp4")
    master, slave = pty.openpty()  # stderr a terminal: the progress line
    p = subprocess.Popen([ESDNET, "derain", *V, clip, dst],
                         stdout=subprocess.PIPE, stderr=slave)
    os.close(slave)
    progress = b""
    interrupted = False
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.1)
        try:
            chunk = os.read(master, 4096) if ready else b""
        except OSError:  # the program is gone
            break
        progress += chunk
        done = re.findall(rb"\] (\d+)/200 frames", progress)
        if not interrupted and done and int(done[-1]) >= 3:
            p.send_signal(signal.SIGINT)
            interrupted = True
        if not chunk and p.poll() is not None:
            break
    os.close(master)
    out = p.communicate(timeout=120)[0].decode()
    err = progress.decode(errors="replace")
    check(interrupted, f"no progress line to interrupt at: {err!r}")
    check(re.search(r"\r *\d+% \[#*-*\] \d+/200 frames  [\d.]+ fps  ETA ", err),
          f"progress line {err!r}")
    check(p.returncode == 130 and "interrupted: finishing" in err
          and "(interrupted)" in out, f"exit {p.returncode}: {out!r} {err!r}")
    frames = count_frames(dst)
    check(3 <= frames < 200 and frames == summary(out)[0],
          f"{frames} frames written, {out!r}")
    got = streams(dst)
    check(len(got["audio"]) == 1 and got["duration"] < frames / 10 + 0.3,
          f"{frames} frames, {got}")


def video_errors(tmp):
    clip = os.path.join(tmp, "in.mp4")
    make_clip(clip, audio=False)
    audio_only = os.path.join(tmp, "sound.mkv")
    subprocess.run([GST_LAUNCH, "-q", "audiotestsrc", "num-buffers=5", "!",
                    "audioconvert", "!", "matroskamux", "!", "filesink",
                    f"location={audio_only}"], check=True, timeout=60)
    audio_ogg = os.path.join(tmp, "sound.ogg")
    if have("vorbisenc") and have("oggmux"):
        subprocess.run([GST_LAUNCH, "-q", "audiotestsrc", "num-buffers=5", "!",
                        "audioconvert", "!", "vorbisenc", "!", "oggmux", "!",
                        "filesink", f"location={audio_ogg}"], check=True,
                       timeout=60)
    truncated = os.path.join(tmp, "cut.mp4")
    with open(truncated, "wb") as f:
        f.write(read(clip)[:2000])
    text = os.path.join(tmp, "notes.mp4")
    with open(text, "w") as f:
        f.write("not a video\n")
    out = os.path.join(tmp, "out.mkv")

    cases = [
        ([audio_only, out], 1, "holds no video stream"),
        ([truncated, out], 1, "cannot read video"),
        ([text, out], 1, "cannot read video"),
        ([os.path.join(tmp, "none.mp4"), out], 1, "none.mp4"),
        ([clip, os.path.join(tmp, "out.png")], 2, "must name a video"),
        ([clip, clip], 2, "another file"),
        ([clip, os.path.join(tmp, "out.ogv")], 2, "not written"),
        ([clip, os.path.join(tmp, "no", "dir", "out.mp4")], 1,
         "cannot write video"),
        (["--scene-cut", "2", clip, out], 2, "--scene-cut"),
        (["--scene-cut", "x", clip, out], 2, "not a number"),
        (["--side-by-side=1", clip, out], 2, "takes no value"),
    ]
    if os.path.exists(audio_ogg):
        cases.append(([audio_ogg, out], 1, "neither an image nor a video"))
    if not have("mpegtsmux"):
        cases.append(([clip, os.path.join(tmp, "out.ts")], 1,
                      "'mpegtsmux' is not installed"))
    failures = []
    for args, status, text_ in cases:
        rc, stdout, stderr = run("derain", *V, *args)
        if rc != status or text_ not in stderr:
            failures.append(f"esdnet derain {' '.join(args)}: exit {rc} (want "
                            f"{status}), stderr {stderr!r}")
        if rc == 1 and os.path.exists(out):
            failures.append(f"{out} left after a failure")
    check(not failures, "\n".join(failures))


CASES = {f.__name__: f for f in (derain_png, builtin_model, derain_jpeg, derain_directory,
                                  derain_sizes, info, bench, ensemble,
                                  help_and_version,
                                  errors, derain_video, video_side_by_side,
                                  video_temporal_reset, video_interrupt,
                                  video_errors)}

if __name__ == "__main__":
    run_case(CASES, "esdnet-cli-")
