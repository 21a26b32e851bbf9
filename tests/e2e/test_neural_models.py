"""`brainalign extract` with the neural model families (hf:, beats:, dasheng:, encodecmae:,
auto:) on the golden tiny checkpoints: the features written for the golden input are the mean
over time of the reference implementation's hidden states (shared/golden, made by
transformers and the authors' code), next to real sounds; the thread count changes nothing;
the cache keys on the weights; errors name the file."""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import scipy.io.wavfile

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "common"))
from cli_runner import CLI, SHARED, run_cli  # noqa: E402

GOLDEN = SHARED / "golden"
SOUNDS = SHARED / "data" / "natsound165" / "wav"
REAL = ["stim5_alarm_clock", "stim103_crying"]
TOLERANCE = 1e-4  # shared/golden/README.md: max |a - b| below 1e-4 of max |b|


def run(*args, expect=0, env=None):
    return run_cli(args, env=dict(os.environ, **(env or {})), expect=expect)


def has_families():
    p = subprocess.run([CLI, "extract", "--help"], capture_output=True, text=True)
    return "hf:PATH" in p.stdout


pytestmark = pytest.mark.skipif(not has_families(), reason="brainalign built without libtorch")


def hidden(case, index):
    return np.load(GOLDEN / case / f"hidden_state.{index:02d}.npy").astype(np.float64)


def golden_layers(case):
    """(layer name, reference tensor (1, frames, features) or (1, channels, frames), time axis)
    for the registry's layers of each golden case."""
    if case == "encodec_encoder_like":
        count = len(list((GOLDEN / case).glob("hidden_state.*.npy")))
        return [(f"encoder.layers.{i}", hidden(case, i), 2) for i in range(count)]
    first = {"beats_like": 5, "dasheng_like": 3, "encodecmae_like": 2}.get(case, 0)
    layers = [("embedding", hidden(case, first), 1)]
    layers += [(f"encoder.{i}", hidden(case, first + i), 1) for i in range(1, 4)]
    return layers


# case -> (model name prefix, model path, golden input waveform, its rate)
CASES = {
    "wav2vec2_base_like": ("hf", "", "input.input_values.npy", 16000),
    "wav2vec2_large_like": ("hf", "", "input.input_values.npy", 16000),
    "hubert_base_like": ("hf", "", "input.input_values.npy", 16000),
    "wavlm_base_like": ("hf", "", "input.input_values.npy", 16000),
    "data2vec_audio_like": ("hf", "", "input.input_values.npy", 16000),
    "whisper_encoder_like": ("hf", "", "../frontends/whisper_logmel_input.npy", 16000),
    "ast_like": ("hf", "", "../frontends/ast_fbank_input.npy", 16000),
    "s2t_encoder_like": ("hf", "", "input.waveform.npy", 16000),
    "encodec_encoder_like": ("hf", "", "input.input_values.npy", 16000),
    "beats_like": ("beats", "model.pt", "input.npy", 16000),
    "dasheng_like": ("dasheng", "model.pt", "input.npy", 16000),
    "encodecmae_like": ("encodecmae", "model.pt", "input_24k.npy", 24000),
}


def stimuli_with_golden_input(folder, case):
    """The golden input as a float32 wav at the model's rate (read back bit for bit, no
    resampling), named so that it sorts first, and two real sounds."""
    _, _, input_file, rate = CASES[case]
    folder.mkdir()
    waveform = np.load(GOLDEN / case / input_file).astype(np.float32).reshape(-1)
    scipy.io.wavfile.write(folder / "a_golden.wav", rate, waveform)
    for name in REAL:
        shutil.copy(SOUNDS / f"{name}.wav", folder / f"{name}.wav")
    return folder


@pytest.mark.parametrize("case", sorted(CASES))
@pytest.mark.parametrize("naming", ["family", "auto"])
def test_features_are_the_mean_over_time_of_the_golden_hidden_states(tmp_path, case, naming):
    prefix, file, _, _ = CASES[case]
    path = GOLDEN / case / file if file else GOLDEN / case
    stimuli = stimuli_with_golden_input(tmp_path / "sounds", case)
    model = f"{prefix if naming == 'family' else 'auto'}:{path}"
    out = tmp_path / "features.npz"
    p = run("extract", "--model", model, "--stimuli", stimuli, "--out", out, "--no-cache",
            "--quiet", "--threads", 2)
    assert p.stdout.startswith(f"{prefix}:{path.stem if file else case}: 3 stimuli")
    features = np.load(out)
    assert list(features["__stimuli__"]) == ["a_golden", *REAL]
    for layer, reference, time_axis in golden_layers(case):
        expected = reference[0].mean(axis=time_axis - 1)
        written = features[layer]
        assert written.shape == (3, expected.size), layer
        assert np.all(np.isfinite(written)), layer
        error = np.abs(written[0] - expected).max() / np.abs(reference).max()
        assert error < TOLERANCE, f"{case} {layer}: {error:.2e}"


def test_thread_count_changes_nothing(tmp_path):
    stimuli = stimuli_with_golden_input(tmp_path / "sounds", "dasheng_like")
    outputs = []
    for threads in (1, 2):
        out = tmp_path / f"threads{threads}.npz"
        run("extract", "--model", f"auto:{GOLDEN / 'dasheng_like' / 'model.pt'}", "--stimuli",
            stimuli, "--out", out, "--no-cache", "--quiet", "--threads", threads)
        outputs.append(np.load(out))
    assert outputs[0].files == outputs[1].files
    for name in outputs[0].files:
        assert np.array_equal(outputs[0][name], outputs[1][name]), name


def test_cache_keys_on_the_weights_not_the_name(tmp_path):
    """Two different checkpoints under the same folder name never share cache entries."""
    stimuli = stimuli_with_golden_input(tmp_path / "sounds", "hubert_base_like")
    first, second = tmp_path / "a" / "model", tmp_path / "b" / "model"
    shutil.copytree(GOLDEN / "hubert_base_like", first)
    shutil.copytree(GOLDEN / "wav2vec2_base_like", second)
    env = {"BRAINALIGN_CACHE": str(tmp_path / "cache")}

    def extract(folder, out):
        p = run("extract", "--model", f"hf:{folder}", "--stimuli", stimuli, "--out", out,
                "--quiet", env=env)
        return p.stdout

    assert "(3 computed, 0 from cache)" in extract(first, tmp_path / "1.npz")
    assert "(0 computed, 3 from cache)" in extract(first, tmp_path / "2.npz")
    assert "(3 computed, 0 from cache)" in extract(second, tmp_path / "3.npz")
    one, two = np.load(tmp_path / "1.npz"), np.load(tmp_path / "2.npz")
    for name in one.files:
        assert np.array_equal(one[name], two[name]), name


def test_memory_budget_keeps_the_numbers(tmp_path):
    stimuli = stimuli_with_golden_input(tmp_path / "sounds", "beats_like")
    model = f"beats:{GOLDEN / 'beats_like' / 'model.pt'}"
    run("extract", "--model", model, "--stimuli", stimuli, "--out", tmp_path / "free.npz",
        "--no-cache", "--quiet")
    run("extract", "--model", model, "--stimuli", stimuli, "--out", tmp_path / "tight.npz",
        "--no-cache", "--quiet", "--memory-budget", 1)
    free, tight = np.load(tmp_path / "free.npz"), np.load(tmp_path / "tight.npz")
    for name in free.files:
        assert np.array_equal(free[name], tight[name]), name


def test_help_lists_the_families():
    text = run("extract", "--help").stdout
    for prefix in ("hf:PATH", "beats:PATH", "dasheng:PATH", "encodecmae:PATH",
                   "torchscript:PATH", "auto:PATH", "spectemp"):
        assert prefix in text, prefix


def test_errors_name_the_file(tmp_path):
    stimuli = stimuli_with_golden_input(tmp_path / "sounds", "beats_like")
    out = tmp_path / "out.npz"
    missing = tmp_path / "absent.pt"
    p = run("extract", "--model", f"beats:{missing}", "--stimuli", stimuli, "--out", out,
            expect=3)
    assert f"{missing} does not exist" in p.stderr
    beats = GOLDEN / "beats_like" / "model.pt"
    p = run("extract", "--model", f"encodecmae:{beats}", "--stimuli", stimuli, "--out", out,
            expect=2)
    assert f"{beats} is a BEATs checkpoint, not an EnCodecMAE checkpoint" in p.stderr
    corrupt = tmp_path / "corrupt.pt"
    data = bytearray(beats.read_bytes())
    data[len(data) // 2:] = b"\0" * (len(data) - len(data) // 2)
    corrupt.write_bytes(bytes(data))
    p = subprocess.run([CLI, "extract", "--model", f"beats:{corrupt}", "--stimuli", stimuli,
                        "--out", out], capture_output=True, text=True)
    assert p.returncode in (2, 3) and str(corrupt) in p.stderr, p.stderr
    p = run("extract", "--model", f"auto:{tmp_path}", "--stimuli", stimuli, "--out", out,
            expect=2)
    assert f"{tmp_path} is not a model of any known family" in p.stderr
    assert not out.exists()
