"""Small HEAR tasks in the hear-preprocess layout, written for tests: three classes of
harmonic tones at different pitches (a mel probe tells them apart), k-fold or
train/valid/test."""
import json

import numpy as np
from scipy.io import wavfile


def write_hear_task(folder, name, kfold, rng, rate=16000, per_class=3, seconds=2.0):
    pitches = [150.0, 300.0, 600.0]
    splits = [f"fold{i:02d}" for i in range(3)] if kfold else ["train", "valid", "test"]
    meta = {"task_name": name, "version": "v1", "embedding_type": "scene",
            "prediction_type": "multiclass",
            "split_mode": "new_split_kfold" if kfold else "trainvaltest",
            "sample_duration": seconds, "evaluation": ["top1_acc"], "splits": splits}
    if kfold:
        meta["nfolds"] = 3
    folder.mkdir(parents=True)
    (folder / "task_metadata.json").write_text(json.dumps(meta))
    vocabulary = "".join(f"{i},p{i}\n" for i in range(3))
    (folder / "labelvocabulary.csv").write_text("idx,label\n" + vocabulary)
    t = np.arange(int(rate * seconds)) / rate  # cochleagram takes clips of 2 s or more
    for split in splits:
        labels = {}
        (folder / str(rate) / split).mkdir(parents=True)
        for c, f0 in enumerate(pitches):
            for k in range(per_class):
                x = sum(rng.uniform(0, 1) / h * np.sin(2 * np.pi * f0 * (1 + 0.03 * k) * h * t
                                                       + rng.uniform(0, 6.28)) for h in range(1, 6))
                x = 0.2 * x / np.abs(x).max() + 0.002 * rng.standard_normal(len(t))
                file = f"{split}_{c}_{k}.wav"
                wavfile.write(folder / str(rate) / split / file, rate, (x * 32767).astype(np.int16))
                labels[file] = [f"p{c}"]
        (folder / f"{split}.json").write_text(json.dumps(labels))
