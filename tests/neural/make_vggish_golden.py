"""Writes a tiny VGGish and torchvggish's answers for it, for tests/neural/vggish_test.cpp.

Usage: make_vggish_golden.py OUT_DIR [SOUNDS_DIR STIMULUS...]

Runs with Debian's PyTorch (/usr/bin/python3, torch 1.13) on the CPU in a second or two, so the
test makes these files in its scratch folder instead of keeping them in the repository. The
model is torchvggish's architecture (tests/reference/torchvggish_reference.py) with small
widths, default PyTorch initialisation under torch.manual_seed(0), in eval mode. OUT_DIR gets:
- vggish_tiny.pth: its state_dict saved by torch.save (zip format), and
  vggish_tiny_legacy.pth the same in the legacy format of torch < 1.6
  (_use_new_zipfile_serialization=False), the format of the 2020 release;
- input.npy: 2.5 s at 16 kHz, float64, the golden README's waveform
  0.3 sin(2 pi 220 t) + 0.2 sin(2 pi 1375 t) [t > 0.4] + 0.05 N(0, 1) (default_rng(0));
- log_mel.npy (frames, 64) and examples.npy (examples, 96, 64), float64: the front end;
- layer.<name>.npy: each hooked module's output on the examples, named as the 2023 study
  names it (Conv2d_1, ReLU_1, MaxPool2d_1, ...), as the module returns it;
- layers.txt: "<study name> <module name>" per line, in the network's order;
With SOUNDS_DIR and stimuli: stimuli/<name>.wav, each sound resampled to 16 kHz (scipy,
polyphase) and written as 16-bit PCM, and reference.npz: for every layer the 2023 study's
read-out (stimuli x features, the average over time and examples of each sound read as
int16 / 32768, as wavfile_to_examples reads it).
"""
import sys
from pathlib import Path

import numpy as np
import torch

from golden_files import save_layers, save_stimuli_read_out, waveform

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import torchvggish_reference as ref  # noqa: E402

TINY_CONV = (4, 8, 8, 8, 16, 16)
TINY_FC = (32, 32, 16)


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = ref.Vggish(TINY_CONV, TINY_FC).eval()
    torch.save(model.state_dict(), out / "vggish_tiny.pth")
    torch.save(model.state_dict(), out / "vggish_tiny_legacy.pth",
               _use_new_zipfile_serialization=False)

    x = waveform(40000)
    np.save(out / "input.npy", x)
    np.save(out / "log_mel.npy", ref.log_mel(x))
    batch, framed = ref.examples(x)
    np.save(out / "examples.npy", framed)
    layers = [(study, module) for module, study in ref.study_name_of_modules(model)]
    save_layers(out, layers, ref.hooked_outputs(model, batch))

    def read_out(samples):
        outputs = ref.hooked_outputs(model, ref.examples(samples)[0])
        return {study: ref.study_average(outputs[module]) for study, module in layers}

    if len(sys.argv) > 3:
        save_stimuli_read_out(out, sys.argv[2], sys.argv[3:], read_out)


if __name__ == "__main__":
    main()
