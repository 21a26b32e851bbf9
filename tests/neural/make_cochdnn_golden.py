"""Writes tiny 2023 in-house cochleagram networks and the reference's answers for them, for
tests/neural/cochdnn_test.cpp.

Usage: make_cochdnn_golden.py OUT_DIR COCHLEAGRAM.npy

Runs with Debian's PyTorch (/usr/bin/python3, torch 1.13) on the CPU in a few seconds, so the
test makes these files in its scratch folder. The networks are tests/reference/
cochdnn_reference.py's transcriptions of cochdnn's Kell2018 (word: one head; multitask: the
three heads of kell2018_word_speaker_audioset) and ResNet-50 (word), with narrow widths and the
real layer structure, default PyTorch initialisation under torch.manual_seed(0) plus batch-norm
statistics drawn from a seeded generator, in eval mode. COCHLEAGRAM.npy is chcochleagram's
cochleagram_1 output (211 x 390) from the shared golden folder: the networks' input. OUT_DIR gets
- <name>.pt: the checkpoint as robustness/train.py saves it (legacy torch.save format), for
  name in kell_word, kell_multitask, resnet_word;
- <name>.layer.<layer>.npy: each hooked layer's output as the network returns it (float32);
- <name>.readout.<layer>.npy: the 2023 measurement's read-out of it (the mean over time,
  axis 3, of a 4-d output, then flattened), as measure_layer_activations_165_natural_sounds_
  pytorch.py computes it.
"""
import sys
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
import cochdnn_reference as ref  # noqa: E402

TASKS = {'signal/word_int': 7, 'signal/speaker_int': 5, 'noise/labels_binary_via_int': 3}


def main():
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    coch = np.load(sys.argv[2]).astype(np.float32)
    x = torch.from_numpy(coch).reshape(1, 1, *coch.shape)
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    nets = {
        'kell_word': (ref.Kell2018((4, 6, 8, 8, 6), 16, 7), ref.KELL_LAYERS),
        'kell_multitask': (ref.Kell2018((4, 6, 8, 8, 6), 16, TASKS), ref.KELL_LAYERS),
        'resnet_word': (ref.ResNet50(4, (3, 4, 6, 3), 7), ref.RESNET_LAYERS),
    }
    for name, (net, layers) in nets.items():
        ref.randomise_batchnorms(net, g)
        net.eval()
        torch.save(ref.release_checkpoint(net), out / f"{name}.pt",
                   _use_new_zipfile_serialization=False)
        with torch.no_grad():
            outputs = net(x)
        for layer in layers:
            value = outputs[layer].numpy()
            np.save(out / f"{name}.layer.{layer}.npy", value)
            readout = value.mean(3).ravel() if value.ndim == 4 else value.ravel()
            np.save(out / f"{name}.readout.{layer}.npy", readout)


if __name__ == "__main__":
    main()
