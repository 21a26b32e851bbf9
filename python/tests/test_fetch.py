"""brainalign.fetch and public_datasets: the same downloads and checks as `brainalign fetch`."""
import sys
from pathlib import Path

import pytest

import brainalign
from conftest import DATA, ROOT

sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from range_server import RangeServer  # noqa: E402

pytestmark = pytest.mark.skipif(not (DATA / "natsound165" / "wav").is_dir(),
                                reason=f"no sounds under {DATA}")


def test_public_datasets_are_listed():
    names = [d["name"] for d in brainalign.public_datasets()]
    assert "natsound165" in names and "natsound165-folds" in names


def test_fetch_downloads_verifies_and_reuses(tmp_path, monkeypatch):
    monkeypatch.delenv("BRAINALIGN_DATA", raising=False)
    monkeypatch.delenv("BRAINALIGN_MIRROR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with RangeServer(DATA) as server:
        root = Path(brainalign.fetch("natsound165", mirror=server.url))
        assert root == Path(brainalign.data_root()) == tmp_path / "brainalign"
        for wav in (DATA / "natsound165" / "wav").glob("*.wav"):
            assert (root / "natsound165" / "wav" / wav.name).read_bytes() == wav.read_bytes()
        asked = len(server.requests)
        brainalign.fetch("natsound165", mirror=server.url)
        assert len(server.requests) == asked, "a complete data set is not downloaded again"
    with pytest.raises(brainalign.InputError, match="natsound165"):
        brainalign.fetch("nope")


def test_published_models_and_fetch_by_name(tmp_path, monkeypatch):
    models = {m["name"]: m for m in brainalign.published_models()}
    assert sum("pepino2025" in m["studies"] for m in models.values()) == 36
    beats = models["beats:iter3"]
    assert beats["runs"] and beats["sample_rate"] == 16000 and beats["files"][0]["sha256"] is None
    assert models["hf:facebook/wav2vec2-base-960h"]["files"][2]["sha256"].startswith("c34f9827")
    monkeypatch.delenv("BRAINALIGN_MODELS", raising=False)
    monkeypatch.delenv("BRAINALIGN_MIRROR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    mirror = tmp_path / "mirror"
    weights = mirror / "models" / "dasheng" / "base" / "dasheng_base.pt"
    weights.parent.mkdir(parents=True)
    weights.write_bytes(b"weights")
    fine_tuned = mirror / "models" / "dasheng" / "base-as" / "dasheng_audioset_mAP497.pt"
    fine_tuned.parent.mkdir(parents=True)
    fine_tuned.write_bytes(b"fine-tuned weights")
    with RangeServer(mirror) as server:
        folder = Path(brainalign.fetch("dasheng:base", mirror=server.url))
        assert folder == tmp_path / "cache" / "brainalign" / "models" / "dasheng" / "base"
        assert (folder / "dasheng_base.pt").read_bytes() == b"weights"
        assert server.requests == [("/models/dasheng/base/dasheng_base.pt", None)]
        # Weights for dasheng:base's architecture: the architecture is there, they come alone.
        folder = Path(brainalign.fetch("dasheng:base-as", mirror=server.url))
        assert (folder / "dasheng_audioset_mAP497.pt").read_bytes() == b"fine-tuned weights"
        assert server.requests[1:] == [("/models/dasheng/base-as/dasheng_audioset_mAP497.pt", None)]
    listed = {m["name"]: m for m in brainalign.published_models()}
    assert listed["dasheng:base"]["fetched"] and listed["dasheng:base-as"]["fetched"]
