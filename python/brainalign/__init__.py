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


if not has_torch:
    def downstream(*args, **kwargs):
        """Downstream probes need a build with libtorch (libtorch-dev)."""
        raise InputError("brainalign.downstream: this build of brainalign has no downstream "
                         "probes (it was built without libtorch)")
else:
    from ._brainalign import downstream

# Every public native function gets its real signature (inspect.signature) and Python's own
# binding of arguments, made when it is first used: that imports inspect, which `import
# brainalign` alone does not need.
_WITHOUT_SIGNATURE = {
    _name: globals().pop(_name)
    for _name in ("ceiling", "compare_rdms", "data_root", "extract", "extract_files", "fetch",
                  "load_dataset", "load_features", "models", "public_datasets",
                  "published_models", "rdm", "rsa_crossvalidated", "rsa_layerwise",
                  "rsa_noise_ceiling", "save_features", "score", "study_export", "study_report",
                  "study_run", "synthesize", "downstream")
}


def __getattr__(name):
    # Loaded on first use, not with brainalign: the functions' signatures (inspect),
    # brainalign.hear (the HEAR API, which imports torch), and Ridge/RidgeCV (scikit-learn's
    # NotFittedError, where it is installed).
    if name in _WITHOUT_SIGNATURE:
        from ._signatures import with_signature
        globals()[name] = with_signature(_WITHOUT_SIGNATURE[name])
        return globals()[name]
    if name == "hear":
        import importlib
        return importlib.import_module(".hear", __name__)
    if name in ("Ridge", "RidgeCV"):
        from . import ridge
        globals()[name] = getattr(ridge, name)
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(__all__) | {"hear"})


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
