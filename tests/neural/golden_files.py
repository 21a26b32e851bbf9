"""What the tiny-model golden generators (make_vggish_golden.py, make_ast_golden.py) write alike:
the golden README's waveform, each hooked layer's output with layers.txt, and the stimuli at
16 kHz with the study's read-out of each layer for them."""
from math import gcd
from pathlib import Path

import numpy as np
import scipy.io.wavfile
import scipy.signal


def waveform(samples):
    """The golden README's waveform of `samples` samples at 16 kHz, float64:
    0.3 sin(2 pi 220 t) + 0.2 sin(2 pi 1375 t) [t > 0.4] + 0.05 N(0, 1) (default_rng(0))."""
    t = np.arange(samples) / 16000.0
    noise = np.random.default_rng(0).standard_normal(t.size)
    return 0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1375 * t) * (t > 0.4) \
        + 0.05 * noise


def save_layers(out, layers, outputs):
    """layer.<study name>.npy: each module's output, for `layers` as (study name, module name)
    pairs in the network's order, and layers.txt: "<study name> <module name>" per line."""
    for study, module in layers:
        np.save(out / f"layer.{study}.npy", outputs[module].numpy())
    (out / "layers.txt").write_text("".join(f"{s} {m}\n" for s, m in layers))


def save_stimuli_read_out(out, sounds, stimuli, read_out):
    """stimuli/<name>.wav: each sound of the folder `sounds`, mono, resampled to 16 kHz (scipy,
    polyphase) and written as 16-bit PCM; reference.npz: for every layer, the stimuli's read-outs
    stacked, `read_out(samples)` giving layer -> read-out of a sound's 16-bit samples / 32768."""
    folder = out / "stimuli"
    folder.mkdir(exist_ok=True)
    stacked = {}
    for stimulus in stimuli:
        rate, pcm = scipy.io.wavfile.read(Path(sounds) / f"{stimulus}.wav")
        samples = pcm.astype(np.float64) / 32768.0
        if samples.ndim > 1:
            samples = samples.mean(axis=1)
        g = gcd(int(rate), 16000)
        resampled = scipy.signal.resample_poly(samples, 16000 // g, int(rate) // g)
        pcm16 = np.clip(np.round(resampled * 32768.0), -32768, 32767).astype(np.int16)
        scipy.io.wavfile.write(folder / f"{stimulus}.wav", 16000, pcm16)
        for layer, value in read_out(pcm16.astype(np.float64) / 32768.0).items():
            stacked.setdefault(layer, []).append(value)
    np.savez(out / "reference.npz", **{k: np.stack(v) for k, v in stacked.items()})
