"""Writes tiny EnCodecMAE models of the two non-mel front ends and the reference's answers for
them, for tests/neural/encodecmae_frontends_test.cpp.

Usage: make_encodecmae_frontends_golden.py OUT_DIR

Runs with Debian's PyTorch (/usr/bin/python3, torch 1.13; torchaudio 0.13 for the spectrogram
variant) on the CPU in a second or two, so the test makes these files in its scratch folder.
The models are tests/reference/encodecmae_reference.py's transcription of the reference
(habla-liaa/encodecmae @ 2dd6759, facebookresearch/encodec @ 0e2d0ae) with small widths,
default PyTorch initialisation under torch.manual_seed(0) and N(0, 0.1^2) noise on the tensors
that initialisation leaves constant (layer norms, the positional scale), in eval mode. Each is
saved as the release saves checkpoints, {'imports', 'config' (gin text), 'state_dict'}.
OUT_DIR gets:
- input.npy: 1.5 s at 24 kHz (float32 values as float64), 0.3 sin(2 pi 220 t) + 0.2
  sin(2 pi 1375 t) [t > 0.4] + 0.05 N(0, 1) (default_rng(0)); with max_length 1 s it runs as
  a full chunk and a half one, whose last frame is padding;
- ec/model.pt (WavEncoder.encoder = EncodecEncoder: SEANet with 4 filters, ratios [8, 5, 4, 2],
  dimension 8, a 2-layer LSTM) and, when torchaudio imports, spec/model.pt (Identity on
  SpectrogramProcessor features: 24 kHz, 26.68 ms frames, 13.34 ms shift, hanning,
  norm_stats [-3, 4]); each folder: front.npy (the front end's output), post_net.npy,
  positions.npy, layer.<i>.npy (the visible encoder's layers as extract_features_from_array
  returns them), all (frames, ...);
- bad.pt: the ec model with its gin naming a wav encoder the reference does not have.
"""
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import encodecmae_reference as ref  # noqa: E402

DIM, LAYERS, HEADS, FF = 16, 2, 4, 32
IMPORTS = "encodecmae.models.encoders: encodecmae.models.encoders\n"

MODEL_GIN = f"""MODEL_DIM={DIM}
NUM_ENCODER_LAYERS={LAYERS}
NUM_ENCODER_HEADS={HEADS}
WAV_FEATURE_DIM=8
encodecmae.models.EncodecMAE:
    wav_encoder = @encodecmae.models.encoders.WavEncoder
    visible_encoder = @encoder/encodecmae.models.transformers.TransformerEncoder
encodecmae.models.encoders.WavEncoder:
    encoder = @encodecmae.models.encoders.EncodecEncoder
    post_net = @wav_encoder_proj/torch.nn.Linear
wav_encoder_proj/torch.nn.Linear:
    in_features = %WAV_FEATURE_DIM
    out_features = %MODEL_DIM
encoder/encodecmae.models.transformers.TransformerEncoder:
    model_dim=%MODEL_DIM
    num_layers=%NUM_ENCODER_LAYERS
    ff_dim={FF}
    attention_layer=@encoder/encodecmae.models.transformers.MultiHeadAttention
encoder/encodecmae.models.transformers.MultiHeadAttention:
    model_dim=%MODEL_DIM
    num_heads=%NUM_ENCODER_HEADS
"""

WAV_ONLY_GIN = """encodecmae.tasks.features.SequentialProcessor:
    processors=[@encodecmae.tasks.features.ReadAudioProcessor]
encodecmae.tasks.features.ReadAudioProcessor:
    key_in = 'filename'
    max_length = 1.0
"""

SPEC = dict(sample_frequency=24000, frame_length=26.68, frame_shift=13.34, window_type="hanning")
SPEC_NORM = (-3.0, 4.0)
SPEC_GIN = f"""encodecmae.tasks.features.SequentialProcessor:
    processors=[@encodecmae.tasks.features.ReadAudioProcessor, @encodecmae.tasks.features.SpectrogramProcessor]
encodecmae.tasks.features.ReadAudioProcessor:
    key_in = 'filename'
    max_length = 1.0
encodecmae.tasks.features.SpectrogramProcessor:
    sample_frequency={SPEC['sample_frequency']}
    frame_length={SPEC['frame_length']}
    frame_shift={SPEC['frame_shift']}
    window_type='{SPEC['window_type']}'
    dither=0.0
    norm_stats=[{SPEC_NORM[0]}, {SPEC_NORM[1]}]
encodecmae.models.encoders.WavEncoder:
    encoder = @torch.nn.Identity
    hop_length = 320
    fs = 24000
wav_encoder_proj/torch.nn.Linear.in_features = 513
"""


def perturb(model):
    generator = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            if "norm" in name or name.endswith("scale"):
                tensor.add_(0.1 * torch.randn(tensor.shape, generator=generator))


def save(model, config, path):
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"imports": IMPORTS, "config": config, "state_dict": model.state_dict()}, path)


def write(folder, outputs):
    for name, value in outputs.items():
        np.save(folder / f"{name}.npy", value.astype(np.float64))


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    t = np.arange(36000) / 24000.0
    noise = np.random.default_rng(0).standard_normal(t.size)
    x = (0.3 * np.sin(2 * np.pi * 220 * t) + 0.2 * np.sin(2 * np.pi * 1375 * t) * (t > 0.4)
         + 0.05 * noise).astype(np.float32)
    np.save(out / "input.npy", x.astype(np.float64))

    torch.manual_seed(0)
    seanet = ref.SeanetEncoder(n_filters=4, dimension=8, ratios=(8, 5, 4, 2), lstm=2)
    encoder = ref.EncodecEncoder(seanet)
    model = ref.EncodecMae(encoder, 8, DIM, LAYERS, HEADS, FF).eval()
    perturb(model)
    save(model, MODEL_GIN + WAV_ONLY_GIN, out / "ec" / "model.pt")
    write(out / "ec", ref.extract(model, x, lambda c: encoder(c[None])[0], encoder.hop_length,
                                  24000))
    save(model, MODEL_GIN + WAV_ONLY_GIN.replace("max_length = 1.0", "max_length = 1.0\n"
         "encodecmae.models.encoders.WavEncoder.encoder = @encodecmae.models.encoders.SEANetEncoder"),
         out / "bad.pt")

    try:
        import torchaudio.compliance.kaldi as kaldi
    except ImportError:
        return
    torch.manual_seed(0)
    model = ref.EncodecMae(torch.nn.Identity(), 513, DIM, LAYERS, HEADS, FF).eval()
    perturb(model)
    save(model, MODEL_GIN + SPEC_GIN, out / "spec" / "model.pt")

    def spectrogram(chunk):
        spec = kaldi.spectrogram(chunk[None], dither=0.0, **SPEC)
        return (spec - SPEC_NORM[0]) / SPEC_NORM[1]

    write(out / "spec", ref.extract(model, x, spectrogram, 320, 24000))


if __name__ == "__main__":
    main()
