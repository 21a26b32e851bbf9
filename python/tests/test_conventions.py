"""Python's conventions on the native functions: real signatures, keyword errors that name
the keyword, the model's own rate by default."""
import inspect

import numpy as np
import pytest

import brainalign


def test_public_functions_have_signatures():
    extract = inspect.signature(brainalign.extract)
    assert list(extract.parameters) == ["audio", "sample_rate", "model", "pool"]
    assert extract.parameters["model"].default == "spectemp"
    assert extract.parameters["sample_rate"].annotation is float
    score = inspect.signature(brainalign.score)
    assert list(score.parameters)[:3] == ["features", "dataset", "analysis"]
    assert score.parameters["protocol"].default == "pepino2025"
    for name in ("rdm", "compare_rdms", "synthesize", "load_dataset", "study_run", "fetch"):
        inspect.signature(getattr(brainalign, name))  # raises ValueError without one


def test_a_misspelled_keyword_is_named_with_the_nearest_valid_one():
    audio = np.zeros(16000)
    with pytest.raises(TypeError) as error:
        brainalign.extract(audio, 16000, modle="mel")
    message = str(error.value)
    assert "unexpected keyword argument 'modle'" in message
    assert "did you mean 'model'?" in message
    assert len(message) < 200, "the message must not list the arguments' values"
    with pytest.raises(TypeError, match="missing a required argument: 'sample_rate'"):
        brainalign.extract(audio)


def test_a_model_takes_audio_at_its_own_rate_by_default():
    model = brainalign.Model("mel")
    t = np.arange(int(model.sample_rate)) / model.sample_rate
    audio = 0.3 * np.sin(2 * np.pi * 440 * t)
    default = model(audio)
    explicit = model(audio, model.sample_rate)
    for name in model.layers:
        np.testing.assert_array_equal(default[name], explicit[name])
