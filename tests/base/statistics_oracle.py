"""scipy.stats / numpy values of the statistics brainalign implements, for each input case."""
import numpy as np
from scipy import stats

from oracle_io import read_input, write_output

request = read_input()
cases = []
for case in request["cases"]:
    a = np.array(case["a"], dtype=float)
    b = np.array(case["b"], dtype=float)
    r, p = stats.pearsonr(a, b)
    rho, _ = stats.spearmanr(a, b)
    cases.append({
        "pearson": r,
        "p_value": p,
        "spearman": rho,
        "rank_a": stats.rankdata(a),
        "rank_b": stats.rankdata(b),
        "median": np.median(a),
        "mean": np.mean(a),
        "population_std": np.std(a),
        "sample_std": np.std(a, ddof=1),
    })
nan_medians = [np.nanmedian(np.array(v, dtype=float)) for v in request["nan_median"]]
# pearsonr's own p-value for a given (r, n): the beta distribution it uses internally.
p_values = []
for r, n in request["p_values"]:
    dist = stats.beta(n / 2 - 1, n / 2 - 1, loc=-1, scale=2)
    p_values.append(2 * dist.sf(abs(r)))
# np.corrcoef as the 2023 code calls it (also on exactly constant inputs: NaN when numpy's own
# mean of the constant is exact), and np.nanmedian over those correlations.
corrcoefs = []
with np.errstate(all="ignore"):
    for case in request.get("corrcoef", []):
        corrcoefs.append(np.corrcoef(np.array(case["a"], dtype=float),
                                     np.array(case["b"], dtype=float))[0, 1])
corrcoef_median = np.nanmedian(corrcoefs) if corrcoefs else None
write_output({"cases": cases, "nan_median": nan_medians, "p_values": p_values,
              "corrcoef": corrcoefs, "corrcoef_nanmedian": corrcoef_median})
