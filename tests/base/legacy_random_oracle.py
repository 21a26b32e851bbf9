"""Draws of numpy's legacy generator (np.random.seed and friends) for each requested seed."""
import numpy as np

from oracle_io import read_input, write_output


def published_splits(n_splits, n_train, n_test, n_stim, seed):
    # The split drawing of Tuckute et al. (2023), rsa_matrix_calculation_all_models.py.
    np.random.seed(seed)
    splits = []
    for _ in range(n_splits):
        train = np.random.choice(n_stim, size=n_train, replace=False)
        possible_test = set(np.arange(n_stim)) - set(train)
        test = np.random.choice(list(possible_test), size=n_test, replace=False)
        splits.append({"train": train, "test": test})
    return splits


request = read_input()
draws = []
for seed in request["seeds"]:
    np.random.seed(seed)
    samples = [np.random.random_sample() for _ in range(5)]
    masks = []
    for _ in range(request["n_masks"]):
        m = np.array([0, 1] * (request["mask_length"] // 2))
        np.random.shuffle(m)
        masks.append(m)
    permutation = np.random.permutation(165)
    choice = np.random.choice(165, 83, replace=False)
    sizes = {str(n): np.random.permutation(n) for n in request["sizes"]}
    draws.append({"samples": samples, "masks": masks, "permutation": permutation,
                  "choice": choice, "sizes": sizes})
splits = [published_splits(*s) for s in request["splits"]]
write_output({"draws": draws, "splits": splits})
