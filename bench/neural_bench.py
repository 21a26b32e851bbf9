"""Native wav2vec2-base against the same computation in PyTorch eager.

Writes a full-size wav2vec2-base model (12 layers, 768 wide, random weights, saved as
transformers saves it) with build/bench/neural_bench, times the native forward pass on 10 s of
audio, then runs the same forward pass in plain PyTorch (transformers' eager code path written
out with torch.nn.functional, reading the same model.safetensors) on the same waveform, checks
that both give the same last hidden state, and prints a table of times and peak memory. The
two run as separate processes, alternately, so that each one's peak RSS is its own.
Usage:
  python3 bench/neural_bench.py [--bench build/bench/neural_bench] [--threads 2] [--repeats 3]
                                [--rounds 2] [--seconds 10]
"""
import argparse
import json
import math
import resource
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def load_safetensors(path):
    import torch

    # Tensor by tensor, so that the whole file is never in memory at once.
    with open(path, "rb") as f:
        size = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(size))
        tensors = {}
        for name, spec in header.items():
            if name == "__metadata__":
                continue
            begin, end = spec["data_offsets"]
            f.seek(8 + size + begin)
            array = np.fromfile(f, dtype=np.float32, count=(end - begin) // 4)
            tensors[name] = torch.from_numpy(array.reshape(spec["shape"]))
    return tensors


def eager_forward(w, config, waveform):
    """Wav2Vec2Model (group-norm feature encoder, post-LN encoder) as transformers runs it."""
    import torch
    import torch.nn.functional as F

    x = waveform[:, None]
    for i, stride in enumerate(config["conv_stride"]):
        p = f"feature_extractor.conv_layers.{i}"
        x = F.conv1d(x, w[p + ".conv.weight"], None, stride)
        if i == 0:
            x = F.group_norm(x, x.shape[1], w[p + ".layer_norm.weight"], w[p + ".layer_norm.bias"])
        x = F.gelu(x)
    x = x.transpose(1, 2)
    x = F.layer_norm(x, (x.shape[-1],), w["feature_projection.layer_norm.weight"],
                     w["feature_projection.layer_norm.bias"], config["layer_norm_eps"])
    h = F.linear(x, w["feature_projection.projection.weight"],
                 w["feature_projection.projection.bias"])
    g = w["encoder.pos_conv_embed.conv.parametrizations.weight.original0"]
    v = w["encoder.pos_conv_embed.conv.parametrizations.weight.original1"]
    weight = torch._weight_norm(v, g, 2)
    kernel = config["num_conv_pos_embeddings"]
    pos = F.conv1d(h.transpose(1, 2), weight, w["encoder.pos_conv_embed.conv.bias"],
                   padding=kernel // 2, groups=config["num_conv_pos_embedding_groups"])
    if kernel % 2 == 0:
        pos = pos[:, :, :-1]
    h = h + F.gelu(pos).transpose(1, 2)
    dim = config["hidden_size"]
    eps = config["layer_norm_eps"]
    h = F.layer_norm(h, (dim,), w["encoder.layer_norm.weight"], w["encoder.layer_norm.bias"], eps)
    states = [h]
    heads = config["num_attention_heads"]
    head_dim = dim // heads
    batch, frames, _ = h.shape
    for l in range(config["num_hidden_layers"]):
        p = f"encoder.layers.{l}."

        def lin(t, name):
            return F.linear(t, w[p + name + ".weight"], w[p + name + ".bias"])

        def split(t):
            return t.view(batch, frames, heads, head_dim).transpose(1, 2)

        q = split(lin(h, "attention.q_proj"))
        k = split(lin(h, "attention.k_proj"))
        v = split(lin(h, "attention.v_proj"))
        scores = torch.matmul(q, k.transpose(2, 3)) * head_dim ** -0.5
        context = torch.matmul(F.softmax(scores, dim=-1), v)
        attn = lin(context.transpose(1, 2).reshape(batch, frames, dim), "attention.out_proj")
        h = F.layer_norm(h + attn, (dim,), w[p + "layer_norm.weight"], w[p + "layer_norm.bias"],
                         eps)
        ff = lin(F.gelu(lin(h, "feed_forward.intermediate_dense")), "feed_forward.output_dense")
        h = F.layer_norm(h + ff, (dim,), w[p + "final_layer_norm.weight"],
                         w[p + "final_layer_norm.bias"], eps)
        states.append(h)
    return states


def run_eager(folder, seconds, threads, repeats):
    """One PyTorch process: prints the same JSON line as neural_bench."""
    import torch

    torch.set_num_threads(threads)
    config = json.loads((Path(folder) / "config.json").read_text())
    w = load_safetensors(Path(folder) / "model.safetensors")
    rss_loaded = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    waveform = torch.from_numpy(np.load(Path(folder) / "waveform.npy"))
    times = []
    with torch.inference_mode():
        eager_forward(w, config, waveform)  # warm-up
        for _ in range(repeats):
            start = time.perf_counter()
            last = eager_forward(w, config, waveform)[-1]
            times.append(time.perf_counter() - start)
    np.save(Path(folder) / "eager_last_hidden_state.npy", last.numpy())
    print(json.dumps({"times_s": times,
                      "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                      "rss_after_load_mib": rss_loaded, "threads": threads,
                      "seconds": seconds, "torch": torch.__version__}))


def main():
    root = Path(__file__).resolve().parents[1]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bench", default=str(root / "build" / "bench" / "neural_bench"))
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--eager-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.eager_child:
        run_eager(args.eager_child, args.seconds, args.threads, args.repeats)
        return

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "wav2vec2_base_random"
        common = ["--folder", str(folder), "--seconds", str(args.seconds),
                  "--threads", str(args.threads), "--repeats", str(args.repeats)]
        results = {"native": [], "eager": []}
        for round_index in range(args.rounds):
            write = ["--write-model"] if round_index == 0 else []
            out = subprocess.run([args.bench, *common, *write], check=True, capture_output=True,
                                 text=True).stdout
            results["native"].append(json.loads(out.strip().splitlines()[-1]))
            if round_index == 0:
                # The native run's waveform: N(0, 0.1^2) from torch's generator, seed 1.
                import torch
                torch.manual_seed(1)
                wave = torch.randn(1, int(args.seconds * 16000)) * 0.1
                np.save(folder / "waveform.npy", wave.numpy())
            out = subprocess.run([sys.executable, __file__, "--eager-child", str(folder),
                                  "--seconds", str(args.seconds), "--threads", str(args.threads),
                                  "--repeats", str(args.repeats)],
                                 check=True, capture_output=True, text=True).stdout
            results["eager"].append(json.loads(out.strip().splitlines()[-1]))
        native = np.load(folder / "native_last_hidden_state.npy")
        eager = np.load(folder / "eager_last_hidden_state.npy")
        difference = float(np.abs(native - eager).max() / np.abs(eager).max())

    load = open("/proc/loadavg").read().split()[:3]
    print(f"wav2vec2-base (12 x 768, random weights), {args.seconds:g} s of 16 kHz audio, "
          f"{args.threads} threads, {args.rounds} rounds x {args.repeats} timed passes "
          f"after a warm-up; torch {results['eager'][0]['torch']}; load average {' '.join(load)}")
    print(f"last hidden state: max |native - eager| / max |eager| = {difference:.2e}")
    print("| implementation | median s | min s | audio s per s | peak RSS MiB | RSS after load MiB |")
    print("| --- | --- | --- | --- | --- | --- |")
    for name in ("native", "eager"):
        times = [t for run in results[name] for t in run["times_s"]]
        median = statistics.median(times)
        peak = max(run["peak_rss_mib"] for run in results[name])
        loaded = max(run["rss_after_load_mib"] for run in results[name])
        label = "native (libtorch C++)" if name == "native" else "PyTorch eager (Python)"
        print(f"| {label} | {median:.2f} | {min(times):.2f} | {args.seconds / median:.1f} | "
              f"{peak:.0f} | {loaded:.0f} |")
    if math.isfinite(difference) and difference > 1e-3:
        sys.exit("native and eager outputs differ")


if __name__ == "__main__":
    main()
