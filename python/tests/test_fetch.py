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
