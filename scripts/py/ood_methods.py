"""
Does a non-Gaussian outlier score earn its place next to Mahalanobis in `bulwark profile`?
(issue 11: "an isolation forest or another non-Gaussian method if it earns its place")

Compares, on the shipped fraud data, the `ood` guard's Mahalanobis score (the shipped profile's
own scorer and its calibrated 1% threshold, policies/profiles/fraud.json) with scikit-learn's
IsolationForest calibrated the same way (5-fold out-of-fold scores of the training file, the
99th percentile), at the same target false-positive rate:
  - fresh benign rows (make_fraud, a seed the model never saw): the false-positive rate;
  - the shipped evasion examples (packages/models/data/fraud-adversarial.jsonl);
  - data-free extraction queries (uniform in the feature box, integer features rounded);
  - perturbation extraction queries (training rows + N(0, 0.5 sd), rounded, clipped);
  - a shifted batch (amounts x3).
Run: /usr/bin/python3 scripts/py/ood_methods.py   (needs python3-sklearn; Debian packages)
Prints a Markdown table; docs/decisions.md records it.
"""
import json
import math
import os
import sys
import time

import numpy as np
from sklearn.ensemble import IsolationForest
from sklearn.model_selection import KFold

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
sys.path.insert(0, os.path.join(ROOT, "packages", "models", "train"))
import train  # noqa: E402  (make_fraud: the data's own generator)

INTEGER = [1, 4, 5, 6]


def wilson(k, n, z=1.96):
    if n == 0:
        return 0.0, 0.0, 1.0
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return p, max(0.0, c - h), min(1.0, c + h)


profile = json.load(open(os.path.join(ROOT, "policies", "profiles", "fraud.json")))
sc = profile["scorer"]
mean, scale, precision = np.array(sc["mean"]), np.array(sc["scale"]), np.array(sc["precision"])
maha_threshold = profile["calibration"]["thresholds"]["mahalanobis"]["0.01"]


def mahalanobis(x):
    v = (x - mean) / scale
    return np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", v, precision, v), 0))


csv = np.loadtxt(os.path.join(ROOT, "packages", "models", "data", "fraud-train.csv"), delimiter=",", skiprows=1)
X = csv[:, :8]
lo, hi = X.min(axis=0), X.max(axis=0)
sd = X.std(axis=0)

# Isolation forest, calibrated like the profile: out-of-fold scores, the 99th percentile.
def forest(seed=0):
    return IsolationForest(n_estimators=100, max_samples=256, random_state=seed)

oof = np.empty(len(X))
for k, (fit, held) in enumerate(KFold(5, shuffle=True, random_state=1).split(X)):
    oof[held] = -forest(k).fit(X[fit]).score_samples(X[held])
if_threshold = float(np.quantile(oof, 0.99))
model = forest().fit(X)

def iforest(x):
    return -model.score_samples(x)

rng = np.random.default_rng(20261127)
fresh_x, _ = train.make_fraud(20000, np.random.default_rng(777))
fresh_x = np.asarray(fresh_x)[:, :8]
adv = np.array([json.loads(l)["x"] for l in open(os.path.join(ROOT, "packages", "models", "data", "fraud-adversarial.jsonl"))])
uniform = rng.uniform(lo, hi, size=(5000, 8))
uniform[:, INTEGER] = np.round(uniform[:, INTEGER])
perturbed = X[rng.integers(0, len(X), 5000)] + rng.normal(0, 0.5, size=(5000, 8)) * sd
perturbed[:, INTEGER] = np.round(perturbed[:, INTEGER])
perturbed = np.clip(perturbed, lo, hi)
shifted_x, _ = train.make_fraud(5000, np.random.default_rng(778))
shifted = np.asarray(shifted_x)[:, :8].copy()
shifted[:, 0] *= 3

sets = [
    ("fresh benign rows (false positives)", fresh_x),
    ("evasion examples (fraud-adversarial.jsonl)", adv),
    ("data-free extraction (uniform in the box, integers rounded)", uniform),
    ("perturbation extraction (rows + N(0, 0.5 sd))", perturbed),
    ("shifted batch (amounts x3)", shifted),
]
print("| rows | n | Mahalanobis flagged (95% interval) | isolation forest flagged (95% interval) |")
print("|---|---:|---|---|")
for name, x in sets:
    cells = []
    for score, t in ((mahalanobis, maha_threshold), (iforest, if_threshold)):
        k = int((score(x) > t).sum())
        p, a, b = wilson(k, len(x))
        cells.append(f"{p:.3f} ({a:.3f}-{b:.3f})")
    print(f"| {name} | {len(x)} | {cells[0]} | {cells[1]} |")
one = fresh_x[:1]
t0 = time.perf_counter()
for _ in range(200):
    iforest(one)
per_row = (time.perf_counter() - t0) / 200
print(f"\nthresholds at 1%: Mahalanobis {maha_threshold:.3f} (profile), isolation forest {if_threshold:.4f} (out-of-fold)")
print(f"isolation forest, 100 trees of 256 samples: {per_row * 1e6:.0f} us per single-row call in scikit-learn")
