"""VGGish as torchvggish computes it, and the 2023 study's read-out of it, for parity tests.

An independent transcription (numpy and torch only) of:
- the front end of harritaylor/torchvggish (torchvggish/vggish_input.py waveform_to_examples,
  torchvggish/mel_features.py), which is AudioSet's: frames of round(0.025 sr) samples every
  round(0.010 sr), each from its first sample, periodic Hann window, |rfft| zero-padded to the
  next power of two, HTK mel matrix (1127 ln(1 + f / 700), triangles linear in mel, 64 bands from
  125 to 7500 Hz, DC bin zeroed), log(mel + 0.01), examples of 96 frames every 96, all in
  float64, then float32. Resampling (resampy) is not transcribed: inputs are at 16 kHz.
- the network of torchvggish/vggish.py (VGG, make_layers): 3x3 convolutions (padding 1) with
  ReLU for [64, M, 128, M, 256, 256, M, 512, 512, M] (M: 2x2 max-pool), the output transposed
  to (examples, time, mel, channels) and flattened, then Linear-ReLU three times (4096, 4096,
  128). The widths are parameters so that tests can build a tiny model of the same layout; the
  module names (features.<i>, embeddings.<i>) are torchvggish's, so state_dicts carry over.
- the study's hooks (gretatuckute/torchvggish, run_model.py and extractor_utils.py SaveOutput):
  every Conv2d, ReLU (not in place), MaxPool2d and Linear output; a 4-d output is averaged over
  time, then over examples, its features channels x mel bands; a 2-d one over examples. Layer
  names follow aud_dnn/resources.py (Conv2d_1.., ReLU_1.., MaxPool2d_1.., Linear_1..).
"""
import numpy as np
import torch
from torch import nn

SAMPLE_RATE = 16000
WINDOW_SECONDS = 0.025
HOP_SECONDS = 0.010
MEL_BANDS = 64
MEL_MIN_HZ = 125.0
MEL_MAX_HZ = 7500.0
LOG_OFFSET = 0.01
EXAMPLE_SECONDS = 0.96
EXAMPLE_HOP_SECONDS = 0.96

RELEASED_CONV = (64, 128, 256, 256, 512, 512)
RELEASED_FC = (4096, 4096, 128)


def rows_in_windows(values, window, hop):
    """Complete windows of `window` rows every `hop` rows (no padding), as a new axis 0."""
    count = 1 + (values.shape[0] - window) // hop
    if count < 1:
        return np.zeros((0, window) + values.shape[1:], values.dtype)
    return np.stack([values[i * hop:i * hop + window] for i in range(count)])


def htk_mel(hz):
    return 1127.0 * np.log(1.0 + np.asarray(hz, dtype=np.float64) / 700.0)


def mel_weights(bins, sample_rate, bands=MEL_BANDS, low=MEL_MIN_HZ, high=MEL_MAX_HZ):
    """(bins, bands) triangles, linear in mel, between `low` and `high` Hz; DC bin zero."""
    bin_mel = htk_mel(np.linspace(0.0, sample_rate / 2.0, bins))
    edges = np.linspace(htk_mel(low), htk_mel(high), bands + 2)
    weights = np.zeros((bins, bands))
    for b in range(bands):
        left, centre, right = edges[b], edges[b + 1], edges[b + 2]
        rising = (bin_mel - left) / (centre - left)
        falling = (right - bin_mel) / (right - centre)
        weights[:, b] = np.clip(np.minimum(rising, falling), 0.0, None)
    weights[0, :] = 0.0
    return weights


def log_mel(samples, sample_rate=SAMPLE_RATE):
    """(frames, 64) float64 log mel magnitudes."""
    samples = np.asarray(samples, dtype=np.float64)
    window = int(round(sample_rate * WINDOW_SECONDS))
    hop = int(round(sample_rate * HOP_SECONDS))
    n_fft = 1
    while n_fft < window:
        n_fft *= 2
    frames = rows_in_windows(samples, window, hop)
    hann = 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(window) / window)
    magnitude = np.abs(np.fft.rfft(frames * hann, n_fft))
    return np.log(magnitude @ mel_weights(magnitude.shape[1], sample_rate) + LOG_OFFSET)


def examples(samples, sample_rate=SAMPLE_RATE):
    """(examples, 1, 96, 64) float32, and the float64 log mel examples (examples, 96, 64)."""
    assert sample_rate == SAMPLE_RATE, "inputs must be at 16 kHz (resampy is not transcribed)"
    rate = 1.0 / HOP_SECONDS
    spec = log_mel(samples, sample_rate)
    framed = rows_in_windows(spec, int(round(EXAMPLE_SECONDS * rate)),
                             int(round(EXAMPLE_HOP_SECONDS * rate)))
    return torch.tensor(framed)[:, None].float(), framed


class Vggish(nn.Module):
    """torchvggish's VGG with configurable widths; eval-only."""

    def __init__(self, conv=RELEASED_CONV, fc=RELEASED_FC):
        super().__init__()
        plan = [conv[0], "M", conv[1], "M", conv[2], conv[3], "M", conv[4], conv[5], "M"]
        layers, channels = [], 1
        for step in plan:
            if step == "M":
                layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            else:
                layers += [nn.Conv2d(channels, step, kernel_size=3, padding=1), nn.ReLU()]
                channels = step
        self.features = nn.Sequential(*layers)
        self.embeddings = nn.Sequential(
            nn.Linear(channels * 6 * 4, fc[0]), nn.ReLU(),
            nn.Linear(fc[0], fc[1]), nn.ReLU(),
            nn.Linear(fc[1], fc[2]), nn.ReLU())

    def forward(self, x):
        x = self.features(x)
        x = x.permute(0, 2, 3, 1).contiguous().view(x.size(0), -1)
        return self.embeddings(x)


def study_name_of_modules(model):
    """[(module name, 2023 layer name)] for every hooked module, in order."""
    counts, out = {}, []
    for name, module in model.named_modules():
        kind = type(module).__name__
        if kind in ("Conv2d", "ReLU", "MaxPool2d", "Linear"):
            counts[kind] = counts.get(kind, 0) + 1
            out.append((name, f"{kind}_{counts[kind]}"))
    return out


def hooked_outputs(model, batch):
    """{module name: output} of every Conv2d, ReLU, MaxPool2d and Linear module."""
    outputs, handles = {}, []
    names = dict(study_name_of_modules(model))
    for name, module in model.named_modules():
        if name in names:
            handles.append(module.register_forward_hook(
                lambda m, i, o, name=name: outputs.__setitem__(name, o.detach().clone())))
    with torch.no_grad():
        model(batch)
    for h in handles:
        h.remove()
    return outputs


def study_average(output):
    """The 2023 read-out of one hooked output: (examples, C, T, M) -> mean over T, then over
    examples, of the (C, M) maps flattened channel-major; (examples, F) -> mean over examples."""
    a = output.numpy()
    if a.ndim == 4:
        per_example = np.moveaxis(a, 2, 1).reshape(a.shape[0], a.shape[2], -1).mean(axis=1)
        return per_example.mean(axis=0)
    return a.mean(axis=0)
