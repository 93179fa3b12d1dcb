#!/usr/bin/python3
"""Self-test of the Python reference: /usr/bin/python3 models/test_reference.py"""

import os
import subprocess
import sys
import tempfile
import unittest

import torch

import safetensors_io
from convert import infer_config
from esdnet import (ESDNet, LIF, SigmoidSurrogateSpike, count_dense_macs_per_pixel,
                    count_parameters, with_defaults)
from modelfile import export_model, load_model

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(os.path.dirname(HERE), "tests", "fixtures")
PUBLISHED = dict(dim=48, enc_blocks=(4, 4, 8), dec_blocks=(2, 2, 2))
SMALL = dict(dim=8, enc_blocks=(1, 1, 1), dec_blocks=(1, 1, 1))


def random_state_dict(model, seed):
    gen = torch.Generator().manual_seed(seed)
    sd = {}
    for k, v in model.state_dict().items():
        if k.endswith("num_batches_tracked"):
            sd[k] = torch.tensor(123)
        elif k.endswith("running_var"):
            sd[k] = torch.rand(v.shape, generator=gen) + 0.5
        else:
            sd[k] = torch.randn(v.shape, generator=gen) * 0.3
    return sd


class ArchitectureTest(unittest.TestCase):
    def test_published_parameter_counts(self):
        self.assertEqual(count_parameters(PUBLISHED), 12_811_463)
        self.assertEqual(count_parameters({}), 3_961_247)

    def test_dense_macs_of_published_model(self):
        self.assertAlmostEqual(count_dense_macs_per_pixel(PUBLISHED) / 1e6, 7.5, delta=0.05)

    def test_official_names_and_shapes(self):
        sd = ESDNet().state_dict()
        expected = {
            "patch_embed.proj.weight": [24, 3, 3, 3],
            "encoder_level1.0.residual.1.weight": [24, 24, 3, 3],
            "encoder_level1.0.residual.2.running_mean": [24],
            "encoder_level1.0.attn.ta.sharedMLP.0.weight": [1, 4, 1, 1, 1],
            "encoder_level1.0.attn.ta.sharedMLP.2.weight": [4, 1, 1, 1, 1],
            "encoder_level3.5.attn.ca.sharedMLP.0.weight": [6, 96, 1, 1, 1],
            "decoder_level1.3.attn.ca.sharedMLP.2.weight": [48, 3, 1, 1, 1],
            "decoder_level2.0.attn.sa.conv.weight": [1, 2, 3, 3],
            "down1_2.maxpool_conv.1.weight": [48, 24, 3, 3],
            "down2_3.maxpool_conv.2.running_var": [96],
            "up3_2.up.1.weight": [48, 96, 3, 3],
            "reduce_chan_level2.1.weight": [48, 96, 1, 1],
            "up2_1.up.1.weight": [24, 48, 3, 3],
            "refinement.ca.1.weight": [6, 48, 1, 1],
            "refinement.sa.3.weight": [48, 6, 3, 3],
            "output.0.weight": [3, 48, 3, 3],
            "output.0.bias": [3],
        }
        for key, shape in expected.items():
            self.assertEqual(list(sd[key].shape), shape, key)
        self.assertNotIn("patch_embed.proj.bias", sd)

    def test_zero_hidden_sizes(self):
        model = ESDNet(dim=2, enc_blocks=(1, 1, 1), dec_blocks=(1, 1, 1), timesteps=2).eval()
        sd = model.state_dict()
        self.assertEqual(list(sd["encoder_level1.0.attn.ta.sharedMLP.0.weight"].shape),
                         [0, 2, 1, 1, 1])
        self.assertEqual(list(sd["encoder_level1.0.attn.ca.sharedMLP.2.weight"].shape),
                         [2, 0, 1, 1, 1])
        self.assertEqual(list(sd["refinement.sa.1.weight"].shape), [0, 4, 3, 3])
        with torch.no_grad():
            y = model(torch.rand(1, 3, 5, 6))
        self.assertEqual(tuple(y.shape), (1, 3, 5, 6))
        self.assertTrue(torch.isfinite(y).all())

    def test_lif_layers_in_execution_order(self):
        model = ESDNet(dim=8, enc_blocks=(2, 1, 1), dec_blocks=(1, 2, 1)).eval()
        seen = []
        for name, m in model.lif_layers():
            m.register_forward_hook(lambda mod, i, o, name=name: seen.append(name))
        with torch.no_grad():
            model(torch.rand(1, 3, 8, 8))
        self.assertEqual(seen, [n for n, _ in model.lif_layers()])
        self.assertEqual(seen[:5], ["encoder_level1.0.residual.0", "encoder_level1.0.residual.3",
                                    "encoder_level1.1.residual.0", "encoder_level1.1.residual.3",
                                    "down1_2.maxpool_conv.0"])
        self.assertEqual(seen[-3:], ["up2_1.up.0", "decoder_level1.0.residual.0",
                                     "decoder_level1.0.residual.3"])
        self.assertEqual(len(seen), 2 * (2 + 1 + 1 + 1 + 2 + 1) + 5)

    def test_any_size_round_trips_shape(self):
        model = ESDNet(**SMALL).eval()
        for h, w in ((1, 1), (1, 7), (5, 3), (8, 12)):
            model.reset_state()
            with torch.no_grad():
                self.assertEqual(tuple(model(torch.rand(2, 3, h, w)).shape), (2, 3, h, w))


class LIFTest(unittest.TestCase):
    def test_hand_computed(self):
        lif = LIF(tau=2.0, v_threshold=0.25)
        # Rows are timesteps, columns neurons; all values are exact in binary.
        # 0: exactly at threshold at t0 fires, then plain decay (0.1 -> 0.05).
        # 1: reaches the threshold exactly at t1 through the decayed membrane.
        # 2: constant input fires every other step thanks to the hard reset.
        # 3: a negative membrane delays firing (0.125 at t1), exact hit at t2.
        x = torch.tensor([[0.25, 0.125, 0.2, -1.0],
                          [0.0, 0.1875, 0.2, 0.625],
                          [0.1, 0.0, 0.2, 0.1875],
                          [0.0, 0.0, 0.2, 0.0]], dtype=torch.float64).view(4, 1, 4)
        s = lif(x).view(4, 4)
        expected = torch.tensor([[1, 0, 0, 0],
                                 [0, 1, 1, 0],
                                 [0, 0, 0, 1],
                                 [0, 0, 1, 0]], dtype=torch.float64)
        self.assertTrue(torch.equal(s, expected), s)
        self.assertTrue(torch.allclose(lif.v.view(4), torch.tensor([0.05, 0.0, 0.0, 0.0],
                                                                   dtype=torch.float64)))
        self.assertEqual(int(lif.spike_count), 5)
        self.assertEqual(lif.neuron_steps, 16)

    def test_carry_continues_membrane(self):
        lif = LIF(tau=2.0, v_threshold=0.25)
        lif(torch.full((1, 1, 1), 0.2, dtype=torch.float64))
        self.assertEqual(lif(torch.full((1, 1, 1), 0.2, dtype=torch.float64)).item(), 1.0)
        lif.reset_state()
        self.assertEqual(lif(torch.full((1, 1, 1), 0.2, dtype=torch.float64)).item(), 0.0)

    def test_surrogate_gradient(self):
        x = torch.tensor([0.0, 1.0, -1.0], requires_grad=True)
        SigmoidSurrogateSpike.apply(x).sum().backward()
        sg = torch.sigmoid(4 * torch.tensor([0.0, 1.0, -1.0]))
        self.assertTrue(torch.allclose(x.grad, 4 * sg * (1 - sg)))
        self.assertAlmostEqual(x.grad[0].item(), 1.0)


class NetworkTest(unittest.TestCase):
    def test_carry_differs_from_reset_on_second_frame(self):
        torch.manual_seed(0)
        model = ESDNet(**SMALL).eval()
        frames = torch.rand(2, 3, 8, 8)
        with torch.no_grad():
            model.reset_state()
            reset = [model(frames[:1])]
            model.reset_state()
            reset.append(model(frames[1:]))
            model.reset_state()
            carry = [model(frames[:1]), model(frames[1:])]
        self.assertTrue(torch.equal(reset[0], carry[0]))
        self.assertGreater((reset[1] - carry[1]).abs().max().item(), 1e-4)

    def test_rest_statistics_serve_frames_from_rest(self):
        """With rest statistics a frame after a reset is normalised with them and a
        carried frame with the running ones: the same as swapping the running
        statistics by hand between the frames."""
        model = ESDNet(**SMALL)
        model.load_state_dict(random_state_dict(model, seed=4))
        model.enable_rest_statistics()
        gen = torch.Generator().manual_seed(5)
        for bn in model.batch_norms():
            bn.set_rest_statistics(bn.running_mean + 0.3 * torch.randn(bn.num_features, generator=gen),
                                   bn.running_var * (0.5 + torch.rand(bn.num_features, generator=gen)))
        model.eval()
        by_hand = ESDNet(**SMALL).eval()
        frames = torch.rand(3, 3, 8, 8, generator=gen)

        def use(statistics):
            for bn, own in zip(by_hand.batch_norms(), model.batch_norms()):
                mean, var = ((own.rest_mean, own.rest_var) if statistics == "rest"
                             else (own.running_mean, own.running_var))
                bn.running_mean.copy_(mean)
                bn.running_var.copy_(var)

        by_hand.load_state_dict({k: v for k, v in model.state_dict().items() if "rest_" not in k})
        with torch.no_grad():
            model.reset_state()
            dual = [model(frames[n:n + 1]) for n in range(3)]
            by_hand.reset_state()
            plain_first = by_hand(frames[:1])
            by_hand.reset_state()
            use("rest")
            expected = [by_hand(frames[:1])]
            use("running")
            expected += [by_hand(frames[n:n + 1]) for n in (1, 2)]
            model.reset_state()
            after_reset = model(frames[2:3])
            by_hand.reset_state()
            use("rest")
            expected_after_reset = by_hand(frames[2:3])
        for n in range(3):
            self.assertTrue(torch.allclose(dual[n], expected[n], atol=1e-6), f"frame {n}")
        self.assertTrue(torch.allclose(after_reset, expected_after_reset, atol=1e-6))
        self.assertGreater((dual[0] - plain_first).abs().max().item(), 1e-3)

    def test_training_step_has_finite_nonzero_gradients(self):
        torch.manual_seed(0)
        model = ESDNet(**SMALL).train()
        x, target = torch.rand(2, 3, 8, 8), torch.rand(2, 3, 8, 8)
        model.reset_state()
        torch.nn.functional.mse_loss(model(x), target).backward()
        for key in ("encoder_level1.0.residual.1.weight", "encoder_level1.0.residual.4.weight",
                    "down1_2.maxpool_conv.1.weight", "patch_embed.proj.weight"):
            grad = model.get_parameter(key).grad
            self.assertTrue(torch.isfinite(grad).all(), key)
            self.assertGreater(grad.abs().sum().item(), 0, key)
        model.detach_state()
        self.assertFalse(any(m.v.requires_grad for _, m in model.lif_layers()))


class FilesTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def test_safetensors_round_trip(self):
        tensors = {
            "f32": torch.randn(3, 5),
            "f16": torch.randn(4, 1, 2).half(),
            "bf16": torch.randn(7).bfloat16(),
            "i64": torch.tensor([-(2 ** 40), 0, 3]),
            "empty": torch.zeros(0, 4, 1, 1, 1),
            "scalar": torch.tensor(2.5),
        }
        meta = {"format": "x", "note": "é"}
        safetensors_io.save(self.path("a.safetensors"), tensors, meta)
        back, back_meta = safetensors_io.load(self.path("a.safetensors"))
        self.assertEqual(back_meta, meta)
        self.assertEqual(list(back), list(tensors))
        for k, v in tensors.items():
            self.assertEqual(back[k].dtype, v.dtype, k)
            self.assertTrue(torch.equal(back[k], v), k)
        with open(self.path("a.safetensors"), "rb") as f:
            n = int.from_bytes(f.read(8), "little")
        self.assertEqual(n % 8, 0)

    def test_model_file_metadata(self):
        model = ESDNet(**SMALL)
        export_model(model, model.config(), self.path("m.safetensors"), description="d")
        tensors, meta = safetensors_io.load(self.path("m.safetensors"))
        self.assertEqual(meta, {
            "format": "esdnet", "format_version": "1", "dim": "8", "enc_blocks": "1,1,1",
            "dec_blocks": "1,1,1", "timesteps": "4", "tau": "2.0", "v_threshold": "0.15",
            "reduction_t": "4", "reduction_c": "16", "refine_reduction": "8", "bn_eps": "1e-05",
            "description": "d"})
        self.assertFalse(any(k.endswith("num_batches_tracked") for k in tensors))
        self.assertTrue(all(v.dtype == torch.float32 for v in tensors.values()))
        loaded, _ = load_model(self.path("m.safetensors"))
        self.assertEqual(loaded.config(), model.config())

    def test_rest_statistics_round_trip(self):
        model = ESDNet(**SMALL)
        model.enable_rest_statistics()
        for bn in model.batch_norms():
            bn.rest_mean.normal_()
            bn.rest_var.uniform_(0.5, 2.0)
        export_model(model, model.config(), self.path("rest.safetensors"))
        loaded, _ = load_model(self.path("rest.safetensors"))
        self.assertTrue(loaded.has_rest_statistics())
        for k, v in model.state_dict().items():
            if not k.endswith("num_batches_tracked"):
                self.assertTrue(torch.equal(loaded.state_dict()[k], v), k)
        plain = ESDNet(**SMALL)
        export_model(plain, plain.config(), self.path("plain.safetensors"))
        tensors, _ = safetensors_io.load(self.path("plain.safetensors"))
        self.assertFalse(any("rest_" in k for k in tensors))
        self.assertFalse(load_model(self.path("plain.safetensors"))[0].has_rest_statistics())
        # All BatchNorms have them or none does.
        partial = model.state_dict()
        del partial["down1_2.maxpool_conv.2.rest_var"]
        with self.assertRaisesRegex(ValueError, "missing tensor down1_2.maxpool_conv.2.rest_var"):
            export_model(partial, model.config(), self.path("partial.safetensors"))

    def test_convert_wrapped_official_checkpoint(self):
        config = with_defaults(dict(dim=16, enc_blocks=(2, 1, 3), dec_blocks=(1, 2, 1),
                                    timesteps=8, reduction_c=8))
        sd = random_state_dict(ESDNet.from_config(config), seed=1)
        torch.save({"state_dict": {"module." + k: v for k, v in sd.items()}},
                   self.path("official.pth"))
        out = self.path("model.safetensors")
        result = subprocess.run([sys.executable, os.path.join(HERE, "convert.py"),
                                 self.path("official.pth"), out], capture_output=True, text=True)
        self.assertEqual(result.returncode, 0, result.stderr)
        tensors, meta = safetensors_io.load(out)
        self.assertEqual(set(tensors), {k for k in sd if not k.endswith("num_batches_tracked")})
        for k, v in tensors.items():
            self.assertTrue(torch.equal(v, sd[k]), k)
        self.assertEqual(infer_config(tensors), config)
        self.assertEqual(load_model(out)[0].config(), config)

    def test_convert_zero_hidden_sizes(self):
        config = with_defaults(dict(dim=8, enc_blocks=(1, 1, 1), dec_blocks=(1, 1, 1),
                                    timesteps=2))
        sd = random_state_dict(ESDNet.from_config(config), seed=2)
        self.assertEqual(infer_config(sd), config)

    def test_convert_rejects_bad_state_dict(self):
        sd = random_state_dict(ESDNet(**SMALL), seed=3)
        del sd["up3_2.up.1.weight"]
        sd["extra.weight"] = torch.zeros(1)
        torch.save(sd, self.path("bad.pth"))
        result = subprocess.run([sys.executable, os.path.join(HERE, "convert.py"),
                                 self.path("bad.pth"), self.path("bad.safetensors")],
                                capture_output=True, text=True)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("missing tensor up3_2.up.1.weight", result.stderr)
        self.assertIn("unknown tensor extra.weight", result.stderr)
        self.assertFalse(os.path.exists(self.path("bad.safetensors")))



class FixturesTest(unittest.TestCase):
    """The checked-in parity fixtures still agree with this reference (in float32)."""

    def test_fixtures_match_reference(self):
        names = sorted(f[:-len(".io.safetensors")] for f in os.listdir(FIXTURES)
                       if f.endswith(".io.safetensors")) if os.path.isdir(FIXTURES) else []
        if not names:
            self.skipTest("no fixtures; run models/make_fixtures.py")
        for name in names:
            with self.subTest(name):
                model, _ = load_model(os.path.join(FIXTURES, f"{name}.model.safetensors"))
                io, meta = safetensors_io.load(os.path.join(FIXTURES, f"{name}.io.safetensors"))
                self.assertEqual(meta["layers"].split(","), [n for n, _ in model.lif_layers()])
                lifs = [m for _, m in model.lif_layers()]
                for mode in ("reset", "carry"):
                    model.reset_state()
                    with torch.no_grad():
                        for n in range(io["input"].shape[0]):
                            if mode == "reset":
                                model.reset_state()
                            y = model(io["input"][n:n + 1])
                            spikes = torch.stack([m.spike_count for m in lifs])
                            self.assertTrue(torch.equal(spikes, io[f"spikes_{mode}"][n]),
                                            f"{mode} frame {n}")
                            err = (y[0] - io[f"output_{mode}"][n]).abs().max().item()
                            self.assertLess(err, 1e-5, f"{mode} frame {n}")


if __name__ == "__main__":
    unittest.main()
