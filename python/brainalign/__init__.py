"""brainalign: how brain-like are audio representations.

Scores a model's layers against fMRI under the protocols of Pepino et al. (2025) and Tuckute
et al. (2023), as the `brainalign` command does, from NumPy arrays. The native core runs
without holding the GIL. Bad input raises `InputError` (a `ValueError`) with the library's
message; file failures raise `IoError` (an `OSError`).
"""
from ._brainalign import (
    Dataset,
    InputError,
    Model,
    IoError,
    __version__,
    compare_rdms,
    data_root,
    extract,
    extract_files,
    fetch,
    load_dataset,
    load_features,
    models,
    public_datasets,
    rdm,
    rsa_crossvalidated,
    rsa_layerwise,
    rsa_noise_ceiling,
    save_features,
    score,
    synthesize,
)
from .ridge import Ridge, RidgeCV

# Shown as brainalign.InputError (not brainalign._brainalign.InputError) in tracebacks.
for _public in (Dataset, InputError, IoError, Model):
    _public.__module__ = __name__
del _public

__all__ = [
    "Dataset",
    "InputError",
    "IoError",
    "Model",
    "Ridge",
    "RidgeCV",
    "__version__",
    "compare_rdms",
    "data_root",
    "extract",
    "extract_files",
    "fetch",
    "load_dataset",
    "load_features",
    "models",
    "public_datasets",
    "rdm",
    "rsa_crossvalidated",
    "rsa_layerwise",
    "rsa_noise_ceiling",
    "save_features",
    "score",
    "synthesize",
]
