"""MFCC as torchaudio.transforms.MFCC computes it, written with numpy and scipy.

usage: mfcc_reference.py input.npy output.npy n_mfcc n_fft hop_length n_mels f_min
"""
import sys

import numpy as np
import scipy.fft


def htk_mel(hz):
    return 2595.0 * np.log10(1.0 + hz / 700.0)


def htk_hz(mel):
    return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)


def main():
    source, target = sys.argv[1], sys.argv[2]
    n_mfcc, n_fft, hop, n_mels = (int(v) for v in sys.argv[3:7])
    f_min = float(sys.argv[7])
    sample_rate = 16000
    x = np.load(source).astype(np.float64)
    padded = np.pad(x, n_fft // 2, mode="reflect")
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    frames = 1 + (len(padded) - n_fft) // hop
    stft = np.stack([np.fft.rfft(padded[t * hop:t * hop + n_fft] * window) for t in range(frames)])
    power = np.abs(stft) ** 2
    freqs = np.linspace(0, sample_rate // 2, n_fft // 2 + 1)
    edges = htk_hz(np.linspace(htk_mel(f_min), htk_mel(sample_rate / 2), n_mels + 2))
    rising = (freqs[None, :] - edges[:-2, None]) / (edges[1:-1] - edges[:-2])[:, None]
    falling = (edges[2:, None] - freqs[None, :]) / (edges[2:] - edges[1:-1])[:, None]
    filters = np.maximum(0.0, np.minimum(rising, falling))
    mel = filters @ power.T
    db = 10.0 * np.log10(np.maximum(mel, 1e-10))
    db = np.maximum(db, db.max() - 80.0)
    mfcc = scipy.fft.dct(db, type=2, norm="ortho", axis=0)[:n_mfcc]
    np.save(target, mfcc)


if __name__ == "__main__":
    main()
