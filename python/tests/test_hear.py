"""The HEAR API adapter: shapes, dtypes and timestamps as the HEAR validator checks them, and
the same numbers as brainalign.extract."""
import numpy as np
import pytest
import torch

import brainalign
import brainalign.hear as hear


@pytest.fixture(scope="module")
def audio():
    rng = np.random.default_rng(0)
    t = np.arange(32000) / 16000
    tones = np.stack([0.3 * np.sin(2 * np.pi * f * t) for f in (220, 880, 3000)])
    return torch.from_numpy(tones + 0.01 * rng.standard_normal(tones.shape)).float()


def test_model_attributes():
    model = hear.load_model(model="mel")
    assert model.sample_rate == 16000
    assert model.layers == ["melspec_db"]
    assert model.scene_embedding_size == model.timestamp_embedding_size == 128
    both = hear.load_model(model="mel", layer=["melspec", "melspec_db"])
    assert both.scene_embedding_size == 256


def test_embeddings_match_extract_and_are_well_formed(audio):
    model = hear.load_model(model="mel")
    scene = hear.get_scene_embeddings(audio, model)
    frames, stamps = hear.get_timestamp_embeddings(audio, model)
    assert isinstance(scene, torch.Tensor) and scene.dtype == torch.float32
    assert scene.shape == (3, 128)
    assert frames.dtype == torch.float32 and frames.shape[0] == 3 and frames.shape[2] == 128
    assert stamps.shape == frames.shape[:2]
    # Timestamps increase, evenly, inside the sound (2 s).
    steps = np.diff(stamps.numpy(), axis=1)
    assert np.all(steps > 0) and np.allclose(steps, steps[0, 0])
    assert 0 < stamps[0, 0] < stamps[0, -1] < 2000
    for i in range(3):
        direct = brainalign.extract(audio[i].double().numpy(), 16000, model="mel", pool="mean")
        np.testing.assert_allclose(scene[i].numpy(), direct["melspec_db"], rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(frames[i].numpy().mean(axis=0), direct["melspec_db"],
                                   rtol=1e-5, atol=1e-4)
    # A batch gives what each sound gives alone; the tones are told apart.
    alone = hear.get_scene_embeddings(audio[1:2], model)
    np.testing.assert_array_equal(alone[0].numpy(), scene[1].numpy())
    assert not np.allclose(scene[0].numpy(), scene[1].numpy())
    # NumPy in, NumPy out.
    assert isinstance(hear.get_scene_embeddings(audio.numpy(), model), np.ndarray)


def test_errors_name_what_is_wrong():
    with pytest.raises(brainalign.InputError, match="no layer 'nope'"):
        hear.load_model(model="mel", layer="nope")
    with pytest.raises(brainalign.InputError, match="give model_file_path or model"):
        hear.load_model()
    with pytest.raises(brainalign.InputError, match=r"\(n_sounds, n_samples\)"):
        hear.get_scene_embeddings(np.zeros(10), hear.load_model(model="mel"))
