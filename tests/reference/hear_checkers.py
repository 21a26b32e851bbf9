"""The HEAR benchmark's own acceptance steps, transcribed: what hear-validator checks of a
module that implements the HEAR API (hearvalidator/validate.py, version 2021.0.6) and how
hear-eval-kit's embedding runner loads a model and feeds it a task
(heareval/embeddings/task_embeddings.py). Written from reading those programs; the TensorFlow
branches are left out (brainalign's models are torch modules)."""
import json
from pathlib import Path

import numpy as np
import torch
from scipy.io import wavfile

VALIDATOR_SAMPLE_RATES = [16000, 22050, 32000, 44100, 48000]


class ValidationError(Exception):
    pass


def _require(condition, message):
    if not condition:
        raise ValidationError(message)


def validate(module, model_file_path="", device="cpu", seed=0):
    """hear-validator MODULE [-m model_file_path] -d device: raises ValidationError on the first
    failed check, returns the loaded model otherwise."""
    for name in ("load_model", "get_timestamp_embeddings", "get_scene_embeddings"):
        _require(hasattr(module, name), f"the API has no {name}")
    model = module.load_model(model_file_path) if model_file_path else module.load_model()
    _require(isinstance(model, torch.nn.Module), "the model is not a torch.nn.Module")
    model.to(device)
    _require(hasattr(model, "sample_rate"), "the model has no sample_rate")
    _require(model.sample_rate in VALIDATOR_SAMPLE_RATES,
             f"sample_rate {model.sample_rate} is not one of {VALIDATOR_SAMPLE_RATES}")
    for size in ("scene_embedding_size", "timestamp_embedding_size"):
        _require(isinstance(getattr(model, size, None), int), f"{size} is not an int")
    generator = torch.Generator().manual_seed(seed)

    def noise(count, seconds):  # white noise in [-1, 1], as the validator feeds
        samples = int(seconds * model.sample_rate)
        return (torch.rand((count, samples), generator=generator) * 2 - 1).to(device)

    for seconds in (1.07, 1.98, 4.0):
        embeddings, timestamps = module.get_timestamp_embeddings(noise(2, seconds), model)
        _require(embeddings.dtype == torch.float32, "timestamp embeddings are not float32")
        embeddings = embeddings.detach().cpu().numpy()
        timestamps = timestamps.detach().cpu().numpy()
        _require(embeddings.ndim == 3 and timestamps.ndim == 2, "wrong ranks")
        _require(embeddings.shape[0] == 2, "one embedding per sound")
        _require(embeddings.shape[:2] == timestamps.shape, "one timestamp per frame")
        _require(embeddings.shape[2] == model.timestamp_embedding_size,
                 "timestamp_embedding_size differs from the embeddings")
        if timestamps.shape[1] > 1:
            steps = np.diff(timestamps)
            _require(np.max(np.abs(steps - steps.mean())) <= 1,
                     "timestamps are not evenly spaced (within 1 ms)")
            _require(np.max(timestamps) <= 1000 * seconds, "timestamps beyond the audio")
    scene = module.get_scene_embeddings(noise(4, 2.74), model)
    _require(scene.dtype == torch.float32, "scene embeddings are not float32")
    scene = scene.detach().cpu().numpy()
    _require(scene.ndim == 2 and scene.shape == (4, model.scene_embedding_size),
             "scene embeddings are not (sounds, scene_embedding_size)")
    return model


def kit_task_embeddings(module, task_dir, model_path="", model_options=None, device="cpu",
                        batch_size=2):
    """The kit's embedding step for a scene task: load the model as the kit does, read each
    split's clips from the folder of the model's sample rate, embed them in batches of torch
    tensors, and gather (embeddings, labels) per split as the kit's memmap and pickle hold."""
    options = model_options or {}
    model = module.load_model(model_path, **options) if model_path else module.load_model(
        **options)
    if not isinstance(model, torch.nn.Module):
        raise ValidationError("the kit accepts only torch (or TensorFlow) modules")
    model.to(device)
    task_dir = Path(task_dir)
    metadata = json.loads((task_dir / "task_metadata.json").read_text())
    audio_dir = task_dir / str(model.sample_rate)
    out = {}
    for split in metadata["splits"]:
        labels = json.loads((task_dir / f"{split}.json").read_text())
        names = sorted(labels)
        embeddings = []
        for start in range(0, len(names), batch_size):
            batch = []
            for name in names[start:start + batch_size]:
                rate, audio = wavfile.read(audio_dir / split / name)
                assert rate == model.sample_rate
                batch.append(audio.astype(np.float32) / (32768.0 if audio.dtype == np.int16
                                                         else 1.0))
            tensor = torch.tensor(np.stack(batch), device=device)
            embeddings.append(module.get_scene_embeddings(tensor, model).detach().cpu().numpy())
        out[split] = (np.concatenate(embeddings), [labels[name] for name in names], names)
    return out
