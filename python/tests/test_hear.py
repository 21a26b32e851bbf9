"""The HEAR API adapter: shapes, dtypes and timestamps as the HEAR validator checks them, and
the same numbers as brainalign.extract."""
import sys

import numpy as np
import pytest
import torch
from scipy.io import wavfile

import brainalign
import brainalign.hear as hear
import hear_checkers
from conftest import DATA, ROOT

GOLDEN = DATA.parent / "golden"


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
    with pytest.raises(brainalign.InputError, match="not both"):
        hear.load_model("model.pt", model="mel")
    with pytest.raises(brainalign.InputError, match=r"\(n_sounds, n_samples\)"):
        hear.get_scene_embeddings(np.zeros(10), hear.load_model(model="mel"))


def test_the_module_is_an_attribute_and_the_model_a_torch_module():
    import importlib
    assert importlib.import_module("brainalign").hear is hear
    model = hear.load_model()
    assert model.model.name == hear.DEFAULT_MODEL == "mel"
    assert isinstance(model, torch.nn.Module) and model.to("cpu") is model
    assert model(torch.zeros(2, 16000)).shape == (2, model.scene_embedding_size)


def test_hear_validator_passes_with_the_default_model():
    model = hear_checkers.validate(hear)
    assert model.model.name == "mel"


@pytest.mark.skipif(not brainalign.has_torch, reason="needs the libtorch model families")
@pytest.mark.parametrize("golden,rate", [("beats_like", 16000), ("encodecmae_like", 48000)])
def test_hear_validator_passes_with_a_native_model_file(golden, rate):
    checkpoint = GOLDEN / golden / "model.pt"
    if not checkpoint.exists():
        pytest.skip(f"no {checkpoint}")
    model = hear_checkers.validate(hear, str(checkpoint))
    # EnCodecMAE runs at 24 kHz, which HEAR does not serve: it takes 48 kHz and resamples.
    assert model.sample_rate == rate
    assert model.model.sample_rate == (24000 if golden == "encodecmae_like" else 16000)


def test_the_kits_embedding_runner_over_a_small_task(tmp_path):
    sys.path.insert(0, str(ROOT / "tests" / "common"))
    from hear_tasks import write_hear_task
    write_hear_task(tmp_path / "task", "tones", kfold=False, rng=np.random.default_rng(0),
                    per_class=2, seconds=1.0)
    splits = hear_checkers.kit_task_embeddings(hear, tmp_path / "task",
                                               model_options={"model": "mel"})
    assert sorted(splits) == ["test", "train", "valid"]
    for split, (embeddings, labels, names) in splits.items():
        assert embeddings.shape == (6, 128) and embeddings.dtype == np.float32
        assert [label[0] for label in labels] == [f"p{name.split('_')[1]}" for name in names]
        # The kit's path (int16 clips as float32 torch batches) gives what extract gives.
        for row, name in zip(embeddings, names):
            rate, audio = wavfile.read(tmp_path / "task" / "16000" / split / name)
            direct = brainalign.extract(audio.astype(np.float32) / 32768.0, rate, model="mel",
                                        pool="mean")["melspec_db"]
            np.testing.assert_allclose(row, direct, rtol=1e-5, atol=1e-4)
