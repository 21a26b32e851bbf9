"""Models and extraction from Python: the same numbers as `brainalign extract` on the same
files, pooling and mixing as documented, and clear errors."""
import shutil

import numpy as np
import pytest
import scipy.io.wavfile
import scipy.signal

import brainalign
from conftest import DATA

WAVS = sorted((DATA / "natsound165" / "wav").glob("*.wav"))[:3]
pytestmark = pytest.mark.skipif(len(WAVS) < 3, reason=f"no natural sounds under {DATA}")


def read_wav(path):
    rate, samples = scipy.io.wavfile.read(path)
    if samples.dtype == np.int16:
        samples = samples / 32768.0
    return samples.astype(np.float64), rate


@pytest.fixture(scope="module")
def stimuli(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stimuli")
    for wav in WAVS:
        shutil.copy(wav, folder / wav.name)
    return folder


@pytest.fixture(scope="module")
def cli_mel(stimuli, tmp_path_factory):
    import subprocess
    from conftest import CLI
    out = tmp_path_factory.mktemp("cli") / "mel.npz"
    subprocess.run([CLI, "extract", "--model", "mel", "--stimuli", stimuli, "--out", out,
                    "--no-cache", "--quiet"], check=True)
    return brainalign.load_features(out)


def test_models_lists_the_registered_front_ends():
    names = [m["name"] for m in brainalign.models()]
    assert {"spectemp", "cochleagram", "mel", "mfcc"} <= set(names)


def test_extract_matches_the_cli_on_the_same_file(cli_mel):
    layers, names = cli_mel
    for row, wav in enumerate(WAVS):
        audio, rate = read_wav(wav)
        got = brainalign.extract(audio, rate, model="mel", pool="mean")
        assert list(got) == list(layers)
        assert names[row] == wav.stem
        for layer, values in layers.items():
            np.testing.assert_allclose(got[layer], values[row], rtol=1e-10, atol=1e-12)


def test_extract_files_matches_the_cli(stimuli, cli_mel):
    layers, names = brainalign.extract_files(stimuli, model="mel", cache=False, threads=1)
    assert names == cli_mel[1]
    for layer, values in cli_mel[0].items():
        np.testing.assert_allclose(layers[layer], values, rtol=1e-10, atol=1e-12)
    # The same from a list of files, and whatever the thread count.
    again, _ = brainalign.extract_files([str(w) for w in WAVS], model="mel", cache=False,
                                        threads=2)
    for layer in layers:
        np.testing.assert_array_equal(again[layer], layers[layer])


def test_frames_pool_to_the_mean_and_a_model_is_reusable():
    model = brainalign.Model("mel")
    assert model.name == "mel" and model.sample_rate == 16000
    assert model.layers == ["melspec", "melspec_db"]
    assert "mel" in repr(model)
    audio, rate = read_wav(WAVS[0])
    frames = model(audio, rate)
    pooled = brainalign.extract(audio, rate, model=model, pool="mean")
    for layer in model.layers:
        assert frames[layer].ndim == 2 and frames[layer].shape[0] > 10
        np.testing.assert_allclose(frames[layer].mean(axis=0), pooled[layer], rtol=1e-12,
                                   atol=1e-12)
    # Identical channels mix down to the same mono signal.
    stereo = brainalign.extract(np.stack([audio, audio]), rate, model=model, pool="mean")
    for layer in model.layers:
        np.testing.assert_allclose(stereo[layer], pooled[layer], rtol=1e-12, atol=1e-12)
    # Resampling: the same sound given at another rate gives nearly the same features.
    up = scipy.signal.resample_poly(audio, 2, 1)
    doubled = brainalign.extract(up, 2 * rate, model=model, pool="mean")
    np.testing.assert_allclose(doubled["melspec_db"], pooled["melspec_db"], rtol=0.05, atol=0.5)


def test_bad_input_raises_with_the_message():
    audio = np.zeros(16000)
    with pytest.raises(brainalign.InputError, match="unknown model 'nope'"):
        brainalign.extract(audio, 16000, model="nope")
    with pytest.raises(brainalign.InputError, match="sample_rate"):
        brainalign.extract(audio, 0, model="mel")
    with pytest.raises(brainalign.InputError, match="3 dimensions"):
        brainalign.extract(np.zeros((1, 1, 10)), 16000, model="mel")
    bad = audio.copy()
    bad[5] = np.nan
    with pytest.raises(brainalign.InputError, match="sample 5 is not finite"):
        brainalign.extract(bad, 16000, model="mel")
    with pytest.raises(brainalign.InputError, match="expected a model name"):
        brainalign.extract(audio, 16000, model=3)
    with pytest.raises(brainalign.InputError, match="pool"):
        brainalign.extract(audio, 16000, model="mel", pool="max")
    with pytest.raises(brainalign.InputError, match="no model families|unknown model family .nofamily."):
        brainalign.Model("nofamily:/x")
