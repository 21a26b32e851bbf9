"""JSON in / JSON out for the oracle scripts under tests/: NaN travels as null."""
import json
import math
import sys


def _clean(value):
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if hasattr(value, "tolist"):
        return _clean(value.tolist())
    if hasattr(value, "item"):
        return _clean(value.item())
    return value


def read_input():
    with open(sys.argv[1]) as f:
        return json.load(f)


def write_output(result):
    with open(sys.argv[2], "w") as f:
        json.dump(_clean(result), f)
