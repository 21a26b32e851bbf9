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
    ceiling,
    data_root,
    extract,
    extract_files,
    fetch,
    has_torch,
    load_dataset,
    load_features,
    models,
    public_datasets,
    published_models,
    rdm,
    rsa_crossvalidated,
    rsa_layerwise,
    rsa_noise_ceiling,
    save_features,
    score,
    study_export,
    study_report,
    study_run,
    synthesize,
)


def __getattr__(name):
    # brainalign.hear (the HEAR API) imports torch, and Ridge/RidgeCV scikit-learn where it is
    # installed (its NotFittedError): loaded on first use, not with brainalign.
    if name == "hear":
        import importlib
        return importlib.import_module(".hear", __name__)
    if name in ("Ridge", "RidgeCV"):
        from . import ridge
        globals()[name] = getattr(ridge, name)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

if has_torch:
    from ._brainalign import downstream
else:
    def downstream(*args, **kwargs):
        """Downstream probes need a build with libtorch (libtorch-dev)."""
        raise InputError("brainalign.downstream: this build of brainalign has no downstream "
                         "probes (it was built without libtorch)")

# Real signatures (inspect.signature) and Python's own binding of arguments for every public
# native function.
from ._signatures import with_signature as _with_signature

for _name in ("ceiling", "compare_rdms", "data_root", "extract", "extract_files", "fetch",
              "load_dataset", "load_features", "models", "public_datasets", "published_models",
              "rdm", "rsa_crossvalidated", "rsa_layerwise", "rsa_noise_ceiling", "save_features",
              "score", "study_export", "study_report", "study_run", "synthesize", "downstream"):
    if _name in globals():
        globals()[_name] = _with_signature(globals()[_name])
del _name

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
    "ceiling",
    "compare_rdms",
    "data_root",
    "extract",
    "downstream",
    "extract_files",
    "fetch",
    "has_torch",
    "load_dataset",
    "load_features",
    "models",
    "public_datasets",
    "published_models",
    "rdm",
    "rsa_crossvalidated",
    "rsa_layerwise",
    "rsa_noise_ceiling",
    "save_features",
    "score",
    "study_export",
    "study_report",
    "study_run",
    "synthesize",
]
