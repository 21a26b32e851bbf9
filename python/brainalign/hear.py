"""The HEAR API (Turian et al. 2022) over brainalign's models, so that the HEAR evaluation kit
(hear-eval-kit) and the HEAR validator (hear-validator) take any model brainalign runs natively.

    import brainalign.hear as module
    model = module.load_model()                               # the default model, DEFAULT_MODEL
    model = module.load_model("", model="mel")                # a registered model
    model = module.load_model("checkpoints/BEATs_iter3.pt")   # a family, detected (auto:PATH)
    scene = module.get_scene_embeddings(audio, model)         # (n_sounds, embedding)
    frames, timestamps = module.get_timestamp_embeddings(audio, model)

The model is a `torch.nn.Module` where torch is importable (the kit and the validator accept
nothing else; `.to(device)` moves nothing, the network runs natively on the CPU). Its
`sample_rate` is one of the rates HEAR serves (16, 22.05, 32, 44.1, 48 kHz): the network's own
rate when it is one of them, else 48 kHz, resampled to the network's rate inside (EnCodecMAE's
24 kHz).

`audio` is (n_sounds, n_samples) at `model.sample_rate`, a torch tensor (results are torch
tensors on its device) or a NumPy array (results are NumPy arrays). The embedding is one layer
(by default the last), or several concatenated (`layer=[...]`). Timestamp embeddings are the
layer's frames; a frame's timestamp (milliseconds) is the centre of the span it covers when
the sound's duration is divided evenly among the frames. Scene embeddings are the mean of the
frames.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

from ._brainalign import InputError, Model, extract

__all__ = ["DEFAULT_MODEL", "HEAR_SAMPLE_RATES", "load_model", "get_scene_embeddings",
           "get_timestamp_embeddings", "HearModel"]

# What load_model() with no argument loads: the log-mel spectrogram, which needs no weights.
DEFAULT_MODEL = "mel"
# The rates hear-preprocess writes every task at, the only ones the HEAR API allows.
HEAR_SAMPLE_RATES = (16000, 22050, 32000, 44100, 48000)

try:
    from torch.nn import Module as _ModuleBase
except ImportError:  # without torch the model is a plain object with the same attributes
    _ModuleBase = object


def hear_sample_rate(model_rate: float) -> int:
    """The rate a HEAR model takes its audio at: the network's own when HEAR serves it, else
    the highest HEAR rate (resampled to the network's rate inside)."""
    rate = int(round(model_rate))
    return rate if rate in HEAR_SAMPLE_RATES and rate == model_rate else HEAR_SAMPLE_RATES[-1]


class HearModel(_ModuleBase):
    """A brainalign model with the attributes the HEAR API asks for; a torch.nn.Module (without
    parameters) where torch is importable."""

    def __init__(self, model: Model, layers: Sequence[str]):
        super().__init__()
        self.model = model
        self.layers = list(layers)
        self.sample_rate = hear_sample_rate(model.sample_rate)
        probe = self._frames(np.zeros(self.sample_rate))
        self.scene_embedding_size = int(probe.shape[1])
        self.timestamp_embedding_size = int(probe.shape[1])

    def _frames(self, sound: np.ndarray) -> np.ndarray:
        out = extract(sound, self.sample_rate, model=self.model, pool="none")
        frames = [out[name] for name in self.layers]
        counts = {f.shape[0] for f in frames}
        if len(counts) != 1:
            raise InputError(f"layers {self.layers} have different frame counts {sorted(counts)}: "
                             "concatenate layers of one time resolution")
        return np.concatenate(frames, axis=1).astype(np.float32)

    def forward(self, audio):
        """The scene embeddings of `audio` (n_sounds, n_samples), as get_scene_embeddings."""
        return get_scene_embeddings(audio, self)

    def __repr__(self) -> str:
        return f"HearModel({self.model!r}, layers={self.layers})"


def load_model(model_file_path: str = "", model: str | None = None,
               layer: str | Sequence[str] | None = None) -> HearModel:
    """The HEAR entry point. `model_file_path` names a model of a family (detected from its
    files, as `auto:PATH`); `model` names any model instead ("mel", "hf:FOLDER", ...); with
    neither, DEFAULT_MODEL. `layer`: a layer name or a list of names to concatenate (default:
    the last layer)."""
    if model is None:
        model = f"auto:{model_file_path}" if model_file_path else DEFAULT_MODEL
    elif model_file_path:
        raise InputError("load_model: give model_file_path or model, not both")
    loaded = Model(model)
    if layer is None:
        layers = [loaded.layers[-1]]
    else:
        layers = [layer] if isinstance(layer, str) else list(layer)
    unknown = [name for name in layers if name not in loaded.layers]
    if unknown:
        raise InputError(f"load_model: {loaded.name} has no layer {unknown[0]!r} "
                         f"(layers: {', '.join(loaded.layers)})")
    return HearModel(loaded, layers)


def _as_numpy(audio):
    torch_input = hasattr(audio, "detach") and hasattr(audio, "cpu")
    array = audio.detach().cpu().numpy() if torch_input else np.asarray(audio)
    if array.ndim != 2:
        raise InputError(f"audio: expected (n_sounds, n_samples), got shape {array.shape}")
    return array.astype(np.float64, copy=False), (audio if torch_input else None)


def _to_output(array: np.ndarray, like):
    if like is None:
        return array
    import torch
    return torch.from_numpy(np.ascontiguousarray(array)).to(like.device)


def get_timestamp_embeddings(audio, model: HearModel):
    """(n_sounds, n_frames, timestamp_embedding_size) float32 embeddings and (n_sounds,
    n_frames) timestamps in milliseconds."""
    sounds, like = _as_numpy(audio)
    frames = [model._frames(sound) for sound in sounds]
    if len({f.shape[0] for f in frames}) > 1:
        raise InputError("audio: sounds of one length gave different frame counts")
    n_frames = frames[0].shape[0] if frames else 0
    duration_ms = sounds.shape[1] / model.sample_rate * 1000.0
    stamps = (np.arange(n_frames) + 0.5) * (duration_ms / max(n_frames, 1))
    embeddings = np.stack(frames) if frames else np.zeros((0, 0, model.timestamp_embedding_size))
    timestamps = np.tile(stamps, (len(frames), 1)).astype(np.float32)
    return _to_output(embeddings.astype(np.float32), like), _to_output(timestamps, like)


def get_scene_embeddings(audio, model: HearModel):
    """(n_sounds, scene_embedding_size) float32: each sound's frames averaged."""
    sounds, like = _as_numpy(audio)
    scenes = np.stack([model._frames(sound).astype(np.float64).mean(axis=0) for sound in sounds])
    return _to_output(scenes.astype(np.float32), like)
