"""Writes the TorchScript archives the model-family tests load, with PyTorch's own answers.

Usage: torchscript_archives.py OUT_DIR SOUNDS_DIR STIMULUS...

OUT_DIR gets:
- stimuli/<name>.wav: the real sounds resampled to 16 kHz (scipy), float32, so that
  brainalign runs the archives on exactly the samples PyTorch runs them on here;
- tuple.pt (scripted), traced.pt (traced), list.pt, dict.pt: good archives, and for each
  reference_<archive>.npz: every layer's mean over time per stimulus, in layer order;
- rate_attr.pt (a `sample_rate` attribute of 8000.0), sidecar.pt + sidecar.json (22050 Hz),
  bad_sidecar.pt + bad_sidecar.json (an unknown key);
- returns_int.pt, batch2.pt, truncated.pt, sdpa.pt: archives brainalign must refuse.
"""
import json
import sys
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

import numpy as np
import scipy.io.wavfile
import scipy.signal
import torch


class Frames(torch.nn.Module):
    """A strided convolution over the waveform: 25 ms frames every 10 ms, 8 channels."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv1d(1, 8, 400, stride=160)
        self.proj = torch.nn.Linear(8, 4)

    def frames(self, waveform: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.conv(waveform.unsqueeze(1))).transpose(1, 2)  # (1, T, 8)


class TupleModel(Frames):
    def forward(self, waveform: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.frames(waveform)
        return h, torch.relu(self.proj(h)), h.mean(dim=1)  # (1, T, 8), (1, T, 4), (1, 8)


class ListModel(Frames):
    def forward(self, waveform: torch.Tensor) -> List[torch.Tensor]:
        h = self.frames(waveform)
        return [h[0], self.proj(h)[0, ::2]]  # (T, 8), (T/2, 4): no batch dimension


class DictModel(Frames):
    sample_rate: int

    def __init__(self):
        super().__init__()
        self.sample_rate = 16000

    def forward(self, waveform: torch.Tensor) -> Dict[str, torch.Tensor]:
        h = self.frames(waveform)
        return {"conv": h, "grid": h.reshape(1, -1, 2, 4), "summary": h.amax(dim=1)[0]}


class RateModel(Frames):
    sample_rate: float

    def __init__(self):
        super().__init__()
        self.sample_rate = 8000.0

    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.frames(waveform)


class ReturnsInt(torch.nn.Module):
    def forward(self, waveform: torch.Tensor) -> int:
        return waveform.size(1)


class Batch2(Frames):
    def forward(self, waveform: torch.Tensor) -> torch.Tensor:
        return self.frames(waveform).repeat(2, 1, 1)


def layer_means(module, waveform):
    out = module(torch.from_numpy(waveform).unsqueeze(0))
    if isinstance(out, dict):
        items = list(out.items())
    elif isinstance(out, (tuple, list)):
        items = [(f"layer.{i}", t) for i, t in enumerate(out)]
    else:
        items = [("layer.0", out)]
    means = {}
    for name, t in items:
        t = t.detach().double()
        if t.dim() >= 3:
            t = t[0]
        if t.dim() == 1:
            t = t.unsqueeze(0)
        means[name] = t.reshape(t.shape[0], -1).mean(dim=0).numpy()
    return means


def main():
    out, sounds, names = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3:]
    (out / "stimuli").mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    waves = []
    for name in names:
        rate, x = scipy.io.wavfile.read(sounds / f"{name}.wav")
        x = x.astype(np.float64) / 32768.0
        if x.ndim == 2:
            x = x.mean(axis=1)
        y = scipy.signal.resample_poly(x, 16000, rate).astype(np.float32)
        scipy.io.wavfile.write(out / "stimuli" / f"{name}.wav", 16000, y)
        waves.append(scipy.io.wavfile.read(out / "stimuli" / f"{name}.wav")[1])

    good = {
        "tuple": torch.jit.script(TupleModel().eval()),
        "list": torch.jit.script(ListModel().eval()),
        "dict": torch.jit.script(DictModel().eval()),
    }
    tracer = TupleModel().eval()
    good["traced"] = torch.jit.trace(tracer, torch.zeros(1, 16000))
    for label, module in good.items():
        module.save(str(out / f"{label}.pt"))
        loaded = torch.jit.load(str(out / f"{label}.pt"))
        with torch.no_grad():
            per_stimulus = [layer_means(loaded, w) for w in waves]
        layers = list(per_stimulus[0])
        np.savez(out / f"reference_{label}.npz",
                 **{k: np.stack([p[k] for p in per_stimulus]) for k in layers})

    torch.jit.script(RateModel().eval()).save(str(out / "rate_attr.pt"))
    torch.jit.script(TupleModel().eval()).save(str(out / "sidecar.pt"))
    (out / "sidecar.json").write_text(json.dumps({"sample_rate": 22050}))
    torch.jit.script(TupleModel().eval()).save(str(out / "bad_sidecar.pt"))
    (out / "bad_sidecar.json").write_text(json.dumps({"sample_rate": 16000, "rate": 1}))
    torch.jit.script(ReturnsInt()).save(str(out / "returns_int.pt"))
    torch.jit.script(Batch2().eval()).save(str(out / "batch2.pt"))
    whole = (out / "tuple.pt").read_bytes()
    (out / "truncated.pt").write_bytes(whole[: len(whole) // 2])

    # What a PyTorch 2.x export with fused attention looks like to libtorch 1.13: the same
    # archive whose code calls aten::scaled_dot_product_attention.
    source = zipfile.ZipFile(out / "rate_attr.pt")
    with zipfile.ZipFile(out / "sdpa.pt", "w", zipfile.ZIP_STORED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith(".py"):
                patched = data.replace(
                    b"torch.tanh(", b"torch.scaled_dot_product_attention(_0, _0, _0) + torch.tanh(")
                assert patched != data or b"tanh" not in data, info.filename
                data = patched
            target.writestr(info, data)


if __name__ == "__main__":
    main()
