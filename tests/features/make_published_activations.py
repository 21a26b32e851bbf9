"""A miniature of the 2023 release's model_actv.tar, in its exact layout, and what NumPy reads
from it.

The layout follows gretatuckute/auditory_brain_dnn: model_actv/<model>/natsound_activations.h5
(+ _randnetw) with a `layer_list` and one dataset per layer, rows in the release's sound order,
for the in-house models; model_actv/<model>/<sound>_activations.pkl (+ _randnetw) holding a
pickle.dump of {layer key: time-averaged numpy vector} for the external ones. Values are random
(float32 as the extraction code wrote them); the layer keys are the study's.

usage: make_published_activations.py OUT_FOLDER
Writes OUT/model_actv/..., OUT/model_actv.tar and OUT/expected/<model>[_randnetw].npz (each
layer in the study's order as NumPy/h5py read it, with __stimuli__), the independent reference.
"""
import os
import pickle
import sys
import tarfile

import h5py
import numpy as np

OUT = sys.argv[1]
SHARED = os.environ.get("BRAINALIGN_SHARED", os.path.join(os.path.dirname(__file__), "../../../shared"))
# The 165 sounds in the NH2015 release's order (ascending stimulus number).
NAMES = sorted((f[:-4] for f in os.listdir(os.path.join(SHARED, "data/natsound165/wav"))
                if f.endswith(".wav")), key=lambda n: int(n.split("_")[0][4:]))
assert len(NAMES) == 165
rng = np.random.default_rng(2023)


def lin(i, o, n):
    return [f"Linear(in_features={i}, out_features={o}, bias=True)--{k}" for k in range(n)]


# model -> (layers in the study's order, keys as stored)
S2T = ["Embedding"] + [f"Encoder_{i}" for i in range(1, 13)]
SEPFORMER = (["Embedding"] + [f"Encoder_{i}" for i in range(1, 33)],
             ["Conv1d(1, 256, kernel_size=(16,), stride=(8,), bias=False)--0"] + lin(1024, 256, 32))
PICKLED = {"S2T": (S2T, S2T), "sepformer": SEPFORMER}
KELL = ["relu0", "maxpool0", "relu1", "maxpool1", "relu2", "relu3", "relu4", "avgpool", "relufc"]
RESNET = ["conv1_relu1", "maxpool1", "layer1", "layer2", "layer3", "layer4", "avgpool"]
HDF5 = {"Kell2018word": (KELL, KELL), "ResNet50music": (RESNET, ["relu1"] + RESNET[1:]),
        "spectemp": (["avgpool"], ["avgpool"])}


def write_pickles(folder, layers, keys, suffix):
    expected = {}
    widths = rng.integers(3, 9, size=len(keys))
    for s, name in enumerate(NAMES):
        d = {}
        # An unused layer and the study's layers in another order than the study's.
        d["Conv2d(unused)--0"] = rng.standard_normal(5).astype(np.float32)
        for k, w in reversed(list(zip(keys, widths))):
            d[k] = rng.standard_normal(w).astype(np.float32)
        protocol = [2, 3, 4][s % 3]  # Python 3.6 wrote 3; the others as pickle writes them
        with open(os.path.join(folder, f"{name}_activations{suffix}.pkl"), "wb") as f:
            pickle.dump(d, f, protocol=protocol)
        for layer, k in zip(layers, keys):
            expected.setdefault(layer, []).append(d[k])
    return expected


def read_pickles_as_2023(folder, layers, keys, suffix):
    """What the 2023 code's PytorchWrapper builds, per layer, in the release's sound order."""
    out = {}
    for layer, k in zip(layers, keys):
        rows = {}
        for f in os.listdir(folder):
            if f.endswith(f"activations{suffix}.pkl"):
                with open(os.path.join(folder, f), "rb") as fh:
                    rows[f.split("_activations")[0]] = pickle.load(fh)[k]
        out[layer] = np.stack([rows[n] for n in NAMES]).astype(np.float64)
    return out


def write_hdf5(folder, layers, keys, suffix):
    path = os.path.join(folder, f"natsound_activations{suffix}.h5")
    all_keys = ["input_after_preproc"] + keys
    with h5py.File(path, "w") as f:
        f["layer_list"] = np.array([k.encode("utf-8") for k in all_keys])
        for k in all_keys:
            f.create_dataset(k, data=rng.standard_normal((165, int(rng.integers(2, 7)))).astype(np.float32))
        f.create_dataset("final/signal/word_int", data=rng.standard_normal((165, 4)).astype(np.float32))
    with h5py.File(path, "r") as f:
        return {layer: np.asarray(f[k]).astype(np.float64) for layer, k in zip(layers, keys)}


os.makedirs(os.path.join(OUT, "expected"), exist_ok=True)
for model, (layers, keys) in {**PICKLED, **HDF5}.items():
    folder = os.path.join(OUT, "model_actv", model)
    os.makedirs(folder, exist_ok=True)
    for suffix in ([""] if model == "spectemp" else ["", "_randnetw"]):
        if model in PICKLED:
            write_pickles(folder, layers, keys, suffix)
            expected = read_pickles_as_2023(folder, layers, keys, suffix)
        else:
            expected = write_hdf5(folder, layers, keys, suffix)
        np.savez(os.path.join(OUT, "expected", f"{model}{suffix}.npz"),
                 __stimuli__=np.array(NAMES), **{layer: expected[layer] for layer in layers})

with tarfile.open(os.path.join(OUT, "model_actv.tar"), "w") as tar:
    tar.add(os.path.join(OUT, "model_actv"), arcname="model_actv")
