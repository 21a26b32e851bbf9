#!/usr/bin/python3
"""Writes the fuzz targets' seed corpus: OUT/<target>/<seed>, one folder per fuzz target.

Seeds come from the shared data (the real components.mat, the fold and split CSVs, the golden
.npy, .json, .safetensors and .pt files, the real sounds) and from small files written here
with numpy, scipy, h5py, torch, Python's wave, aifc and sunau modules and sox (when present),
covering the layouts and dtypes the readers accept. The study seeds are the TOML examples of
docs/study.md and the study tests. Nothing here is committed: the corpus is rebuilt
into the build folder whenever the tests or scripts/fuzz.sh run.

Usage: make_corpus.py --shared ../shared --out build/fuzz-corpus
"""
import argparse
import io
import json
import re
import shutil
import struct
import subprocess
import tempfile
import warnings
from pathlib import Path

import h5py
import numpy as np
import scipy.io

# Must match fuzz/entry_points.h.
PART = b"\n--brainalign-part--\n"
FEATURES_NPZ, FEATURES_H5, FEATURES_FOLDER = b"\x00", b"\x01", b"\x02"
DATASET_MAT, DATASET_GENERIC, DATASET_RELEASE = b"\x00", b"\x01", b"\x02"
# Larger shared files slow every mutation down without reaching new code.
MAX_SHARED_SEED = 64 * 1024
# The checkpoints are larger; their targets run with a larger -max_len (scripts/fuzz.sh).
MAX_CHECKPOINT_SEED = 1024 * 1024
HEAR_TASK_FILES = ["task_metadata.json", "labelvocabulary.csv", "train.json", "valid.json",
                   "test.json", "fold00.json", "fold01.json", "fold02.json", "fold03.json",
                   "fold04.json"]
ROOT = Path(__file__).resolve().parent.parent

STIMULI = ["stim1_alarm_clock", "stim2_baby_crying", "stim3_bird_song", "stim4_cat",
           "stim5_dog_barking", "stim6_engine"]


def npy(array):
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def npy_version(array, version):
    buffer = io.BytesIO()
    np.lib.format.write_array(buffer, array, version=version, allow_pickle=False)
    return buffer.getvalue()


def npz(compressed=False, **arrays):
    buffer = io.BytesIO()
    (np.savez_compressed if compressed else np.savez)(buffer, **arrays)
    return buffer.getvalue()


def mat(variables, **options):
    buffer = io.BytesIO()
    scipy.io.savemat(buffer, variables, **options)
    return buffer.getvalue()


def h5(fill, **options):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "seed.h5"
        with h5py.File(path, "w", **options) as f:
            fill(f)
        return path.read_bytes()


def mat73(variables):
    """A MATLAB v7.3 file: HDF5 with the 512-byte MAT header in its user block."""
    def fill(f):
        for name, value in variables.items():
            d = f.create_dataset(name, data=value.T)
            d.attrs["MATLAB_class"] = np.bytes_("double")
    data = bytearray(h5(fill, userblock_size=512))
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created by: brainalign fuzz corpus HDF5"
    data[:116] = header.ljust(116, b" ")
    data[116:128] = b"\x00" * 8 + b"\x00\x00\x00\x00"
    data[124:128] = b"\x00\x02IM"
    return bytes(data)


def cells(strings, column=True):
    array = np.empty((len(strings), 1) if column else (1, len(strings)), dtype=object)
    for i, s in enumerate(strings):
        array.flat[i] = s
    return array


def layers(rng, rows=len(STIMULI)):
    return {"conv": rng.standard_normal((rows, 4)).astype(np.float32),
            "block1": rng.standard_normal((rows, 3))}


def npy_seeds(shared, rng):
    seeds = {
        "f8_2d": npy(rng.standard_normal((3, 4))),
        "f4_fortran": npy(np.asfortranarray(rng.standard_normal((3, 2)).astype(np.float32))),
        "f2": npy(np.arange(5, dtype=np.float16)),
        "f8_big_endian": npy(np.arange(4, dtype=">f8")),
        "i8": npy(np.arange(-3, 3, dtype=np.int64)),
        "i2_3d": npy(np.arange(24, dtype=np.int16).reshape(2, 3, 4)),
        "u1": npy(np.arange(7, dtype=np.uint8)),
        "bool": npy(np.array([True, False, True])),
        "scalar": npy(np.float64(2.5)),
        "empty": npy(np.zeros((0, 3))),
        "unicode": npy(np.array(STIMULI)),
        "unicode_big_endian": npy(np.array(["ä", "ok"], dtype=">U2")),
        "bytes": npy(np.array([b"lh", b"rh"])),
        "version2": npy_version(np.arange(3.0), (2, 0)),
        "version3": npy_version(np.array(["é"]), (3, 0)),
        "structured_meta": npy(np.array(
            [(10, 0, 3, b"lh"), (11, 1, 2, b"rh")],
            dtype=[("voxel_id", "<i8"), ("subj_idx", "<i4"), ("n_reps", "<f8"), ("hemi", "S2")])),
        "structured_nested": npy(np.zeros(2, dtype=[("a", "<f4", (2,)),
                                                    ("b", [("c", "<i2"), ("d", "U3")])])),
        "structured_aligned": npy(np.zeros(2, dtype=np.dtype([("x", "u1"), ("y", "<f8")],
                                                             align=True))),
    }
    for path in sorted(shared.glob("golden/**/*.npy")):
        if path.stat().st_size <= MAX_SHARED_SEED:
            seeds["golden_" + "_".join(path.relative_to(shared / "golden").parts)] = \
                path.read_bytes()
    return seeds


def npz_seeds(rng):
    named = dict(layers(rng), __stimuli__=np.array([s + ".wav" for s in STIMULI]))
    return {
        "stored": npz(**named),
        "deflated": npz(compressed=True, **named),
        "no_names": npz(a=np.arange(6.0).reshape(3, 2)),
        "empty": npz(),
        "mixed_dtypes": npz(i=np.arange(3), s=np.array([b"x"]), u=np.array(["y"]),
                            m=np.zeros(2, dtype=[("f", "<f8")])),
    }


def csv_seeds(shared):
    seeds = {path.stem: path.read_bytes()
             for path in sorted((shared / "data" / "natsound165").glob("*.csv"))}
    seeds.update({
        "quoted": b'stimulus,fold\n"stim1_a, with comma",0\n"say ""hi""",1\n"multi\nline",2\n',
        "crlf_bom": b"\xef\xbb\xbfvoxel_id,subject,roi\r\n1,0,Primary\r\n2,0,\r\n\r\n",
        "numbers": b"stimulus,value\na, +1.5\nb,-inf\nc,nan\nd,1e308\ne,1e400\n",
        "roi_meta": b"voxel_id,subj_idx,roi_label_general\n10,1.0,Primary\n11,2.0,nan\n",
    })
    return seeds


def components_variables(count):
    rng = np.random.default_rng(1)
    return {"R": rng.standard_normal((count, 6)),
            "stim_names": cells([s + ".wav" for s in (STIMULI * 30)[:count]], column=False),
            "component_names": cells(["pitch", "speech", "music", "low_freq", "high_freq",
                                      "broad"])}


def mat_seeds(shared, rng):
    components = shared / "data" / "natsound165" / "components.mat"
    return {
        "components_real": components.read_bytes(),
        "components_small": mat(components_variables(len(STIMULI))),
        "components_compressed": mat(components_variables(len(STIMULI)), do_compression=True),
        "v4": mat({"R": rng.standard_normal((3, 2))}, format="4"),
        "char_matrix": mat({"names": np.array(["abc", "de "])}),
        "integers": mat({"i": np.arange(6, dtype=np.int32).reshape(2, 3),
                         "u": np.arange(3, dtype=np.uint16), "b": np.array([True, False])}),
        "complex": mat({"z": np.array([1 + 2j, 3j])}),
        "struct": mat({"stim_info": {"stim_names": cells(STIMULI), "n": 6.0}}),
        "unicode_cells": mat({"names": cells(["ä", "日本", ""])}),
        "empty": mat({"e": np.zeros((0, 3)), "c": np.empty((0, 0), dtype=object)}),
        "v73": mat73({"R": rng.standard_normal((3, 2))}),
    }


def hdf5_activations(rng, names=True):
    def fill(f):
        for name, values in layers(rng).items():
            f.create_dataset(name, data=values)
        f.create_dataset("layer_list", data=np.array([b"conv", b"block1"]))
        if names:
            f.create_dataset("__stimuli__", data=STIMULI, dtype=h5py.string_dtype())
    return h5(fill)


def hdf5_seeds(rng):
    def compressed(f):
        f.create_dataset("x", data=rng.standard_normal((6, 5)), chunks=(2, 5),
                         compression="gzip", shuffle=True)
        f.create_dataset("fixed", data=np.array([b"a  ", b"bc "], dtype="S3"))
        f.create_group("g").create_dataset("inner", data=np.arange(3))

    def odd_types(f):
        f.create_dataset("i1", data=np.arange(4, dtype=np.int8))
        f.create_dataset("u8_big", data=np.arange(3, dtype=">u8"))
        f.create_dataset("scalar", data=1.5)
        f.create_dataset("empty", shape=(0, 4), dtype="f8")
        f.create_dataset("compound", data=np.zeros(2, dtype=[("a", "<f8"), ("b", "<i4")]))
        f.create_dataset("utf8", data=["ä", "ok"], dtype=h5py.string_dtype("utf-8"))
        f.create_dataset("unwritten", shape=(5,), dtype="f4")

    return {"activations": hdf5_activations(rng), "compressed": h5(compressed),
            "odd_types": h5(odd_types)}


def json_seeds(shared):
    seeds = {}
    for path in sorted(shared.glob("golden/**/*.json")):
        if path.stat().st_size <= MAX_SHARED_SEED:
            seeds["golden_" + "_".join(path.relative_to(shared / "golden").parts)] = \
                path.read_bytes()
    summary = {"protocol": "pepino2025", "analysis": "voxelwise", "dataset": "synthetic",
               "layers": ["layer0", "layer1"], "value": 0.5, "sem": None,
               "per_subject": {"0": 0.25, "1": 0.75}, "n_voxels_used": 10, "seconds": 1e-3}
    seeds["summary"] = json.dumps(summary, indent=2).encode()
    seeds["escapes"] = b'{"a": "\\u00e9\\ud83d\\ude00\\n", "b": [1, -0.0, 1e-310, 123456789012345678901]}'
    return seeds


def join(*parts):
    return PART.join(parts)


def feature_set_seeds(rng):
    conv, block = layers(rng).values()
    return {
        "npz": FEATURES_NPZ + npz(conv=conv, block1=block, __stimuli__=np.array(STIMULI)),
        "npz_unnamed": FEATURES_NPZ + npz(conv=conv),
        "h5": FEATURES_H5 + hdf5_activations(rng),
        "h5_unnamed": FEATURES_H5 + hdf5_activations(rng, names=False),
        "folder": FEATURES_FOLDER + join(b"0\n1\n", "\n".join(STIMULI).encode(), npy(conv),
                                         npy(block)),
        "folder_sorted": FEATURES_FOLDER + join(b"", b"", npy(conv)),
    }


def dataset_seeds(shared, rng):
    responses = rng.standard_normal((len(STIMULI), 4, 2))
    responses[0, 3, 1] = np.nan
    voxels = b"voxel_id,subject,roi\n1,0,Primary\n2,0,Lateral\n3,1,Primary\n4,1,\n"
    meta = np.array([(10, 1, 3), (11, 1, 2), (12, 2, 3), (13, 2, 3)],
                    dtype=[("voxel_id", "<i8"), ("subj_idx", "<i8"), ("n_reps", "<i8")])
    stim_meta = np.array([(s + ".wav",) for s in STIMULI], dtype=[("fname", "U40")])
    roi = b"voxel_id,subj_idx,roi_label_general\n10,1,Primary\n11,1,nan\n12,2,Anterior\n13,2,x\n"
    b2021_stimuli = mat({"stim_info": {"stim_names": cells(STIMULI)}})
    real = shared / "data" / "natsound165" / "components.mat"
    return {
        "components_real": DATASET_MAT + real.read_bytes(),
        "components_small": DATASET_MAT + mat(components_variables(len(STIMULI))),
        "generic": DATASET_GENERIC + join(npy(responses), voxels, "\n".join(STIMULI).encode()),
        "generic_2d": DATASET_GENERIC + join(npy(responses[:, :, 0]), voxels,
                                             "\r\n".join(STIMULI).encode()),
        "release_nh2015": DATASET_RELEASE + join(npy(rng.standard_normal((6, 4, 3))), npy(meta),
                                                 npy(stim_meta), roi),
        "release_ids": DATASET_RELEASE + join(npy(rng.standard_normal((6, 4))),
                                              npy(np.arange(4.0)), npy(np.array(STIMULI))),
        "release_b2021": DATASET_RELEASE + join(npy(rng.standard_normal((6, 4, 2))), npy(meta),
                                                b"", roi, b2021_stimuli),
    }


class KeptOpen(io.BytesIO):
    """A buffer that survives the close() of aifc and sunau writers."""
    def close(self):
        pass


def wav_bytes(write):
    buffer = KeptOpen()
    write(buffer)
    return buffer.getvalue()


def pcm(module, samples, rate, width, channels=1):
    """A file written by Python's wave, aifc or sunau module from int16 samples."""
    ints = np.repeat(samples.astype(np.int64), channels)
    if width == 1:
        ints = ints // 256 + (128 if module.__name__ == "wave" else 0)
    else:
        ints = ints << (8 * width - 16)
    order = "little" if module.__name__ == "wave" else "big"
    frames = b"".join(int(v).to_bytes(width, order, signed=width > 1 or order == "big")
                      for v in ints)

    def write(buffer):
        out = module.open(buffer, "wb")
        out.setnchannels(channels)
        out.setsampwidth(width)
        out.setframerate(rate)
        out.writeframes(frames)
        out.close()
    return wav_bytes(write)


def sox_convert(wav, suffix):
    """The WAV converted by sox to another format libsndfile reads; None without sox."""
    if shutil.which("sox") is None:
        return None
    with tempfile.TemporaryDirectory() as folder:
        source, target = Path(folder) / "in.wav", Path(folder) / ("out." + suffix)
        source.write_bytes(wav)
        done = subprocess.run(["sox", str(source), str(target)], capture_output=True)
        return target.read_bytes() if done.returncode == 0 and target.exists() else None


def audio_seeds(shared):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import aifc
        import sunau
        import wave
    from scipy.io import wavfile
    sounds = sorted((shared / "data" / "natsound165" / "wav").glob("*.wav"))
    rate, real = wavfile.read(sounds[0])
    short = real[:4000]
    ramp = (np.sin(np.arange(800) / 5.0) * 20000).astype(np.int16)

    def scipy_wav(data, sample_rate=rate):
        return wav_bytes(lambda buffer: wavfile.write(buffer, sample_rate, data))

    seeds = {
        "real_short": scipy_wav(short),
        "int16_stereo": scipy_wav(np.stack([ramp, ramp[::-1]], axis=1)),
        "uint8": scipy_wav((ramp // 256 + 128).astype(np.uint8), 8000),
        "int32": scipy_wav(ramp.astype(np.int32) << 16),
        "float32": scipy_wav((ramp / 32768).astype(np.float32)),
        "float64_6ch": scipy_wav(np.tile((ramp / 32768)[:, None], (1, 6))),
        "wave_24bit": pcm(wave, ramp, 16000, 3),
        "wave_8bit": pcm(wave, ramp, 11025, 1),
        "aiff_16bit": pcm(aifc, ramp, 22050, 2),
        "aiff_stereo": pcm(aifc, ramp, 44100, 2, channels=2),
        "au_16bit": pcm(sunau, ramp, 8000, 2),
    }
    if sounds[0].stat().st_size <= 4 * MAX_SHARED_SEED:
        seeds["real_" + sounds[0].stem] = sounds[0].read_bytes()
    for suffix in ["flac", "ogg", "caf", "w64", "voc", "sf", "paf", "nist", "htk", "mat5"]:
        converted = sox_convert(seeds["real_short"], suffix)
        if converted is not None:
            seeds["sox_" + suffix] = converted
    return seeds


def toml_blocks(text):
    return [block for block in re.findall(r"```toml\n(.*?)```", text, re.S)]


def study_seeds():
    seeds = {}
    for i, block in enumerate(toml_blocks((ROOT / "docs" / "study.md").read_text())):
        seeds[f"docs_{i}"] = block
    tests = (ROOT / "tests" / "study" / "study_test.cpp").read_text()
    for i, block in enumerate(re.findall(r'R"\((.*?)\)"', tests, re.S)):
        if "[study]" in block:
            seeds[f"test_{i}"] = block
    seeds["checkpoints"] = """[study]
name = "ck"
seed = 18446744073709551615
[[models]]
name = "ck"
kind = "checkpoints"
features = "ck/step_*.npz"
[[models]]
name = "one"
kind = "features"
features = "features.npz"
[[datasets]]
name = "comp"
source = "nh2015comp"
folds = "folds.csv"
[[analyses]]
name = "v"
analysis = "voxelwise"
protocols = ["pepino2025"]
datasets = ["comp"]
rois = ["all"]
[downstream]
scores = "scores.csv"
[[tasks]]
name = "esc50"
metric = "top1_acc"
[alignment_vs_performance]
bootstrap = 10
permutations = 10
subset_threshold = 0.5
[dynamics]
models = ["ck"]
smooth_window = 5
smooth_order = 2
"""
    return seeds


def hear_task(meta, vocabulary, splits):
    """A HEAR task input: the parts in the order of HEAR_TASK_FILES (absent ones empty)."""
    files = {"task_metadata.json": json.dumps(meta).encode(),
             "labelvocabulary.csv": ("idx,label\n" + "".join(
                 f"{i},{label}\n" for i, label in enumerate(vocabulary))).encode()}
    files.update({name + ".json": json.dumps(labels).encode() for name, labels in splits.items()})
    return join(*[files.get(name, b"") for name in HEAR_TASK_FILES])


def hear_task_seeds():
    vocabulary = ["dog", "rooster", "rain"]
    meta = {"task_name": "tiny", "version": "v1.0.0", "embedding_type": "scene",
            "prediction_type": "multiclass", "split_mode": "trainvaltest",
            "sample_duration": 5.0, "evaluation": ["top1_acc", "mAP"]}
    splits = {name: {f"{name}_{i}.wav": [vocabulary[i % 3]] for i in range(3)}
              for name in ["train", "valid", "test"]}
    kfold = dict(meta, split_mode="new_split_kfold", nfolds=5, prediction_type="multilabel",
                 splits=[f"fold0{i}" for i in range(5)])
    folds = {f"fold0{i}": {f"f{i}_{j}.wav": vocabulary[:j + 1] for j in range(3)}
             for i in range(5)}
    numbered = {name: {f"{name}_{i}.wav": [i % 3] for i in range(2)}
                for name in ["train", "valid", "test"]}
    return {
        "trainvaltest": hear_task(meta, vocabulary, splits),
        "kfold_multilabel": hear_task(kfold, vocabulary, folds),
        "presplit_named": hear_task(dict(kfold, split_mode="presplit_kfold",
                                         splits=[{"name": f"fold0{i}"} for i in range(5)]),
                                    vocabulary, folds),
        "numeric_labels": hear_task(dict(meta, splits=["train", "valid", "test"]),
                                    ["0", "1", "2"], numbered),
        "event_task": hear_task(dict(meta, embedding_type="event"), vocabulary, splits),
    }


def safetensors_file(tensors, metadata=None):
    """A safetensors file written by hand: the format is a JSON header and raw bytes."""
    header, data = {}, b""
    if metadata is not None:
        header["__metadata__"] = metadata
    for name, (dtype, array) in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape),
                        "data_offsets": [len(data), len(data) + len(raw)]}
        data += raw
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    return struct.pack("<Q", len(text)) + text + data


def safetensors_seeds(shared, rng):
    import torch
    bf16 = torch.tensor([1.5, -2.0, 3.25]).to(torch.bfloat16).view(torch.int16).numpy()
    seeds = {
        "dtypes": safetensors_file({
            "a.f32": ("F32", rng.standard_normal((2, 3)).astype(np.float32)),
            "b.f16": ("F16", np.arange(4, dtype=np.float16)),
            "c.bf16": ("BF16", bf16),
            "d.f64": ("F64", np.arange(3.0)),
            "e.i64": ("I64", np.arange(-2, 2, dtype=np.int64)),
            "f.i32": ("I32", np.arange(3, dtype=np.int32)),
            "g.i16": ("I16", np.arange(3, dtype=np.int16)),
            "h.i8": ("I8", np.arange(3, dtype=np.int8)),
            "i.u8": ("U8", np.arange(3, dtype=np.uint8)),
            "j.bool": ("BOOL", np.array([True, False])),
        }, metadata={"format": "pt"}),
        "scalar_and_empty": safetensors_file({"s": ("F32", np.float32(2.0).reshape(())),
                                              "z": ("F32", np.zeros((0, 4), np.float32))}),
        "empty": safetensors_file({}),
    }
    for path in sorted(shared.glob("golden/*/model.safetensors")):
        if path.stat().st_size <= MAX_CHECKPOINT_SEED:
            seeds["golden_" + path.parent.name] = path.read_bytes()
    return seeds


def torch_checkpoint_seeds(shared):
    import collections

    import torch
    torch.manual_seed(0)

    def save(value, **options):
        buffer = io.BytesIO()
        torch.save(value, buffer, **options)
        return buffer.getvalue()

    weight = torch.randn(4, 3)
    state = collections.OrderedDict([("layer.weight", weight), ("layer.bias", torch.randn(4)),
                                     ("view", weight[1:3, ::2]), ("same", weight)])
    seeds = {
        "state_dict": save(state),
        "nested": save({"model": state, "cfg": {"dim": 4, "rate": 16000.0, "name": "x",
                                                "flags": [True, False, None], "pair": (1, 2)},
                        "step": 2 ** 40, "neg": -7}),
        "dtypes": save({"f16": torch.arange(3, dtype=torch.float16),
                        "bf16": torch.arange(3, dtype=torch.bfloat16),
                        "f64": torch.arange(3, dtype=torch.float64),
                        "i64": torch.arange(3), "i32": torch.arange(3, dtype=torch.int32),
                        "i8": torch.arange(3, dtype=torch.int8),
                        "u8": torch.arange(3, dtype=torch.uint8),
                        "bool": torch.tensor([True, False]),
                        "scalar": torch.tensor(1.5), "empty": torch.zeros(0, 2)}),
        "parameter": save({"p": torch.nn.Parameter(torch.ones(2, 2))}),
        "protocol4": save(state, pickle_protocol=4),
        "list_root": save([torch.ones(2), "text", 3.5]),
    }
    for path in sorted(shared.glob("golden/*/model.pt")):
        if path.stat().st_size <= MAX_CHECKPOINT_SEED:
            seeds["golden_" + path.parent.name] = path.read_bytes()
    return seeds


def model_config_seeds(shared):
    seeds = {"golden_" + path.parent.name: path.read_bytes()
             for path in sorted(shared.glob("golden/*/config.json"))}
    seeds["empty_object"] = b"{}"
    seeds["wav2vec2_lists"] = json.dumps({
        "model_type": "wav2vec2", "hidden_size": 64, "num_hidden_layers": 2,
        "num_attention_heads": 4, "intermediate_size": 128, "conv_dim": [32, 32],
        "conv_kernel": [10, 3], "conv_stride": [5, 2], "feat_extract_norm": "group",
        "hidden_act": "gelu", "num_conv_pos_embeddings": 16,
        "num_conv_pos_embedding_groups": 4, "do_stable_layer_norm": False}).encode()
    return seeds


def pickle_seeds(shared):
    import collections
    import pickle
    import zipfile
    import joblib
    import joblib.numpy_pickle as joblib_pickle
    seeds = {}
    value = {"a": [1, 2.5, "x" * 300, (None, True, False)], "b": b"\x00\xff",
             "c": {1, 2}, "d": collections.OrderedDict(z=-2**40), "e": 2**63 - 1}
    for protocol in (2, 3, 4, 5):
        seeds[f"values_p{protocol}"] = pickle.dumps(value, protocol=protocol)
        seeds[f"labels_p{protocol}"] = pickle.dumps([["dog"], ["dog", "cat"], [60], []] * 3,
                                                    protocol=protocol)
    seeds["object"] = pickle.dumps(argparse.Namespace(lr=0.1, layers=[1, 2]), protocol=4)

    def joblib_bytes(array):
        buffer = io.BytesIO()
        joblib.dump(array, buffer)
        return buffer.getvalue()
    for name, array in (("floats", np.array([0.0, 1.0, 2.5])), ("ints", np.arange(9) % 5)):
        seeds["joblib_" + name] = joblib_bytes(array)
    # Without the alignment padding, as joblib < 1.2 wrote.
    create = joblib_pickle.NumpyPickler._create_array_wrapper

    def unpadded(self, array):
        wrapper = create(self, array)
        del wrapper.numpy_array_alignment_bytes
        return wrapper
    joblib_pickle.NumpyPickler._create_array_wrapper = unpadded
    seeds["joblib_unpadded"] = joblib_bytes(np.array([3.0, -1.0]))
    joblib_pickle.NumpyPickler._create_array_wrapper = create
    import pandas as pd
    frame = pd.DataFrame({"voxel_id": np.arange(4), "roi_label_general": ["Primary", None, "x", "y"],
                          "reliability": [0.5, np.nan, 0.25, 1.0], "flag": [True, False, True, True]})
    for protocol in (2, 4, 5):
        seeds[f"pandas_p{protocol}"] = pickle.dumps(frame, protocol=protocol)
        seeds[f"arrays_p{protocol}"] = pickle.dumps(
            {"relu0": np.arange(6, dtype=np.float32).reshape(2, 3), "fc": np.ones(4)}, protocol=protocol)
    for path in sorted((shared / "golden").glob("*/model.pt")):
        with zipfile.ZipFile(path) as archive:
            for item in archive.namelist():
                if item.endswith("/data.pkl"):
                    seeds["golden_" + path.parent.name] = archive.read(item)
    return seeds


def tar_seeds():
    """Uncompressed tar archives in the GNU, pax and ustar layouts (long names, a folder, a link,
    an empty member), and one whose member size is in GNU's base-256 form."""
    import io
    import tarfile
    seeds = {}
    long = "model_checkpoints/" + "a" * 120 + "/model/5_checkpoint.pt"
    for name, form in [("gnu", tarfile.GNU_FORMAT), ("pax", tarfile.PAX_FORMAT),
                       ("ustar", tarfile.USTAR_FORMAT)]:
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=form) as tar:
            folder = tarfile.TarInfo("model_checkpoints")
            folder.type = tarfile.DIRTYPE
            tar.addfile(folder)
            for path, size in [(long if form != "ustar" else "model/5_checkpoint.pt", 700),
                               ("empty", 0), ("short.txt", 3)]:
                info = tarfile.TarInfo(path)
                info.size = size
                tar.addfile(info, io.BytesIO(bytes(size)))
            link = tarfile.TarInfo("link")
            link.type = tarfile.SYMTYPE
            link.linkname = "short.txt"
            tar.addfile(link)
        seeds[name] = buffer.getvalue()
    header = bytearray(tarfile.TarInfo("model/5_checkpoint.pt").tobuf(format=tarfile.GNU_FORMAT))
    header[124:136] = b"\x80" + (700).to_bytes(11, "big")  # base-256 size
    header[148:156] = b" " * 8
    header[148:155] = f"{sum(header):06o}\0".encode()
    seeds["base256_size"] = bytes(header) + bytes(1024) + bytes(1024)
    return seeds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, required=True, help="the shared data folder")
    parser.add_argument("--out", type=Path, required=True, help="corpus folder to (re)write")
    args = parser.parse_args()
    shared = args.shared.resolve()
    rng = np.random.default_rng(0)
    corpus = {
        "npy": npy_seeds(shared, rng),
        "npz": npz_seeds(rng),
        "csv": csv_seeds(shared),
        "mat": mat_seeds(shared, rng),
        "hdf5": hdf5_seeds(rng),
        "json": json_seeds(shared),
        "feature_set": feature_set_seeds(rng),
        "dataset": dataset_seeds(shared, rng),
        "audio": audio_seeds(shared),
        "study": study_seeds(),
        "hear_task": hear_task_seeds(),
        "model_config": model_config_seeds(shared),
        "pickle": pickle_seeds(shared),
        "tar": tar_seeds(),
    }
    # The libtorch readers' seeds need torch to write; without it their targets do not build.
    try:
        import torch  # noqa: F401
        corpus["safetensors"] = safetensors_seeds(shared, rng)
        corpus["torch_checkpoint"] = torch_checkpoint_seeds(shared)
    except ImportError:
        pass
    if args.out.exists():
        shutil.rmtree(args.out)
    for target, seeds in corpus.items():
        folder = args.out / target
        folder.mkdir(parents=True)
        for name, data in seeds.items():
            (folder / name).write_bytes(data.encode() if isinstance(data, str) else data)
    print(f"wrote {sum(map(len, corpus.values()))} seeds for {len(corpus)} targets to {args.out}")


if __name__ == "__main__":
    main()
