#!/usr/bin/env python3
"""Converts a pandas pickle (the 2023 release's df_roi_meta.pkl) to CSV next to it.

Usage: python3 scripts/convert_pandas_pickle.py data/neural/NH2015/df_roi_meta.pkl [out.csv]
brainalign reads the CSV (voxel_id, subj_idx, roi_label_general, ...). Needs pandas.
"""
import sys
from pathlib import Path

import pandas as pd


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    source = Path(sys.argv[1])
    target = Path(sys.argv[2]) if len(sys.argv) == 3 else source.with_suffix(".csv")
    frame = pd.read_pickle(source)
    if not isinstance(frame, pd.DataFrame):
        sys.exit(f"{source}: expected a pandas DataFrame, found {type(frame).__name__}")
    tmp = target.with_name(target.name + ".tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(target)
    print(f"wrote {target} ({len(frame)} rows, columns: {', '.join(map(str, frame.columns))})")


if __name__ == "__main__":
    main()
