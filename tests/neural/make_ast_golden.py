"""Writes a tiny AST and the reference's answers for it, for tests/neural/ast_test.cpp.

Usage: make_ast_golden.py OUT_DIR [SOUNDS_DIR STIMULUS...]

Runs with Debian's PyTorch (/usr/bin/python3, torch 1.13) on the CPU in about a second, so the
test makes these files in its scratch folder instead of keeping them in the repository. The
model is YuanGongND/ast's ASTModel (tests/reference/ast_reference.py) with embedding width 128
(2 heads of 64, as DeiT's), 2 blocks, 10 classes and input_tdim 100 (12 x 9 patches), every
parameter drawn at random under torch.manual_seed(0), in eval mode. OUT_DIR gets:
- ast_tiny.pth: its state_dict as the release saves it (wrapped in torch.nn.DataParallel, so
  every key starts with 'module.'), torch.save's zip format; ast_tiny_legacy.pth the same in
  the legacy format; ast_tiny_bare.pth the state_dict without the wrapper;
- input.npy: 0.8 s at 16 kHz (78 frames, so padded to 100), float64, the golden README's waveform
  0.3 sin(2 pi 220 t) + 0.2 sin(2 pi 1375 t) [t > 0.4] + 0.05 N(0, 1) (default_rng(0));
- fbank.npy (frames, 128) and features.npy (100, 128), float64: the front end;
- layer.<name>.npy: each hooked module's output for the features, named as the 2023 study
  names it (Embedding, Encoder_1, Encoder_2, Final), as the module returns it;
- layers.txt: "<study name> <module name>" per line, in the network's order.
With SOUNDS_DIR and stimuli: stimuli/<name>.wav, each sound resampled to 16 kHz (scipy,
polyphase) and written as 16-bit PCM, and reference.npz: for every layer the 2023 study's
read-out (stimuli x features) of each sound read as int16 / 32768, as torchaudio.load reads it
(2 s, so 198 frames cut to 100).
Also checks the front end's transcription against transformers' ASTFeatureExtractor output in
the shared golden folder (BRAINALIGN_SHARED), when that is there.
"""
import os
import sys
from pathlib import Path

import numpy as np
import torch

from golden_files import save_layers, save_stimuli_read_out, waveform

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import ast_reference as ref  # noqa: E402

DIM, DEPTH, HEADS, CLASSES, TDIM = 128, 2, 2, 10, 100


def randomise(model):
    """Every parameter random, so that no weight goes untested (LayerNorms and tokens too)."""
    with torch.no_grad():
        for name, p in model.named_parameters():
            if "norm" in name or name.startswith("mlp_head.0"):
                p.copy_((1.0 if name.endswith("weight") else 0.0) + 0.2 * torch.randn_like(p))
            elif name.endswith("token") or name.endswith("pos_embed"):
                p.copy_(0.5 * torch.randn_like(p))
            elif name.endswith("bias"):
                p.copy_(0.1 * torch.randn_like(p))


def check_front_end_against_transformers():
    golden = Path(os.environ.get("BRAINALIGN_SHARED", "")) / "golden" / "frontends"
    if not (golden / "ast_fbank_output.npy").exists():
        return
    x = np.load(golden / "ast_fbank_input.npy").astype(np.float64).reshape(-1)
    expected = np.load(golden / "ast_fbank_output.npy")[0].astype(np.float64)
    error = np.abs(ref.features(x, expected.shape[0]) - expected).max()
    print(f"front end transcription against ASTFeatureExtractor: max abs error {error:.2e}")
    assert error < 1e-4, error


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    check_front_end_against_transformers()
    torch.manual_seed(0)
    model = ref.ASTModel(DIM, DEPTH, HEADS, CLASSES, input_tdim=TDIM, imagenet_classes=6)
    randomise(model)
    model.eval()
    wrapped = torch.nn.DataParallel(model).state_dict()
    assert all(k.startswith("module.") for k in wrapped)
    torch.save(wrapped, out / "ast_tiny.pth")
    torch.save(wrapped, out / "ast_tiny_legacy.pth", _use_new_zipfile_serialization=False)
    torch.save(model.state_dict(), out / "ast_tiny_bare.pth")

    x = waveform(12800)
    np.save(out / "input.npy", x)
    np.save(out / "fbank.npy", ref.fbank(x))
    feats = ref.features(x, TDIM)
    np.save(out / "features.npy", feats)
    layers = ref.study_layers(model)
    save_layers(out, layers, ref.hooked_outputs(model, torch.tensor(feats[None]).float()))

    def read_out(samples):
        batch = torch.tensor(ref.features(samples, TDIM)[None])
        outputs = ref.hooked_outputs(model, batch.float())
        return {study: ref.study_read_out(module, outputs[module]) for study, module in layers}

    if len(sys.argv) > 3:
        save_stimuli_read_out(out, sys.argv[2], sys.argv[3:], read_out)


if __name__ == "__main__":
    main()
