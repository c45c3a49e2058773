#!/usr/bin/python3
"""Train and export the small models that Bulwark ships for its examples, tests and benchmarks.

Run from the repo root with Debian's Python (python3-sklearn, python3-onnx):

    apt-get install -y python3-sklearn python3-onnx
    /usr/bin/python3 packages/models/train/train.py

Everything is deterministic (fixed seeds), uses only data generated here or shipped by
python3-sklearn, and downloads nothing. It writes, under packages/models/:
  artifacts/<name>.onnx         the model (float32 input [batch, d], output [batch, k])
  data/<name>.json              held-out (and, where needed, training) splits
  artifacts/manifest.json       sha256, shapes, accuracies, feature names, how to regenerate

The ONNX graphs are written by hand with onnx.helper from the trained MLP weights (MatMul/Add/Relu,
with the feature scaler folded in as Sub/Div), so no converter package is needed.
"""
import hashlib
import json
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
ART = os.path.join(ROOT, "artifacts")
DATA = os.path.join(ROOT, "data")
OPSET = 13


def export_mlp(clf, mean, scale, name, doc, output="probabilities", folder=ART):
    """Write an sklearn MLPClassifier as an ONNX graph: (x - mean) / scale -> dense layers -> softmax or logits."""
    d = clf.coefs_[0].shape[0]
    k = clf.coefs_[-1].shape[1]
    if k == 1:  # binary MLPs have one logistic unit: expand to two logits [0, z]
        w_last = np.concatenate([np.zeros_like(clf.coefs_[-1]), clf.coefs_[-1]], axis=1)
        b_last = np.concatenate([np.zeros_like(clf.intercepts_[-1]), clf.intercepts_[-1]])
        coefs = list(clf.coefs_[:-1]) + [w_last]
        inters = list(clf.intercepts_[:-1]) + [b_last]
        k = 2
    else:
        coefs, inters = list(clf.coefs_), list(clf.intercepts_)
    inits = [
        numpy_helper.from_array(np.asarray(mean, dtype=np.float32), "mean"),
        numpy_helper.from_array(np.asarray(scale, dtype=np.float32), "scale"),
    ]
    nodes = [helper.make_node("Sub", ["input", "mean"], ["centered"]), helper.make_node("Div", ["centered", "scale"], ["h0"])]
    cur = "h0"
    for i, (w, b) in enumerate(zip(coefs, inters)):
        inits.append(numpy_helper.from_array(w.astype(np.float32), f"W{i}"))
        inits.append(numpy_helper.from_array(b.astype(np.float32), f"B{i}"))
        nodes.append(helper.make_node("MatMul", [cur, f"W{i}"], [f"mm{i}"]))
        last = i == len(coefs) - 1
        out = ("logits" if output == "probabilities" else "output") if last else f"pre{i}"
        nodes.append(helper.make_node("Add", [f"mm{i}", f"B{i}"], [out]))
        if not last:
            nodes.append(helper.make_node("Relu", [out], [f"h{i + 1}"]))
            cur = f"h{i + 1}"
    if output == "probabilities":
        nodes.append(helper.make_node("Softmax", ["logits"], ["output"], axis=1))
    graph = helper.make_graph(
        nodes,
        name,
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", d])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", k])],
        initializer=inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="bulwark-train")
    model.ir_version = 7
    model.doc_string = doc
    helper.set_model_props(model, {"bulwark.output": output})
    onnx.checker.check_model(model)
    path = os.path.join(folder, f"{name}.onnx")
    data = model.SerializeToString()
    with open(path, "wb") as f:
        f.write(data)
    return hashlib.sha256(data).hexdigest(), d, k


def forward_numpy(clf, mean, scale, x):
    """The exported graph's math, in numpy, to check the export against sklearn."""
    return clf.predict_proba((x - mean) / scale)


def dump(name, obj):
    with open(os.path.join(DATA, f"{name}.json"), "w") as f:
        json.dump(obj, f, separators=(",", ":"))


def r(a, nd=4):
    return np.round(np.asarray(a, dtype=np.float64), nd).tolist()


# --- 1. Fraud: synthetic card transactions -------------------------------------------------------
FRAUD_FEATURES = [
    "amount_usd",  # transaction amount
    "hour",  # local hour of day, 0-23
    "merchant_risk",  # merchant category risk score, 0-1 (higher: electronics, gift cards, crypto)
    "distance_from_home_km",
    "velocity_1h",  # transactions on this card in the last hour
    "card_present",  # 1 when the chip/stripe was read
    "foreign",  # 1 when the merchant country differs from the card's
    "account_age_days",
]


def make_fraud(n, rng):
    amount = np.exp(rng.normal(3.6, 1.1, n))  # median ~ $37, long tail
    hour = rng.integers(0, 24, n).astype(float)
    merchant = rng.beta(2, 5, n)
    distance = np.exp(rng.normal(1.5, 1.4, n))
    velocity = rng.poisson(0.8, n).astype(float)
    card_present = (rng.random(n) < 0.65).astype(float)
    foreign = (rng.random(n) < 0.08).astype(float)
    age = rng.gamma(2.0, 400.0, n)
    night = ((hour <= 5) | (hour >= 23)).astype(float)
    # Fraud log-odds: a known rule with interactions, so the task is learnable but not trivial
    # (Bayes accuracy ~0.91 at a ~17% fraud rate).
    z = -4.3 + 2.4 * (
        0.55 * (np.log1p(amount) - 3.6)
        + 2.2 * (merchant - 0.28)
        + 0.45 * (np.log1p(distance) - 1.7)
        + 0.55 * (velocity - 0.8)
        - 1.6 * (card_present - 0.65)
        + 1.4 * foreign
        + 0.9 * night
        - 0.6 * (np.log1p(age / 30.0) - 3.0)
        + 0.5 * foreign * (1 - card_present)
    )
    p = 1 / (1 + np.exp(-z))
    y = (rng.random(n) < p).astype(int)
    X = np.stack([amount, hour, merchant, distance, velocity, card_present, foreign, age], axis=1)
    return X, y


def fraud_splits():
    rng = np.random.default_rng(7)
    X, y = make_fraud(24000, rng)
    return train_test_split(X, y, test_size=4000, random_state=7, stratify=y)


def train_fraud(adversarial=None):
    """The fraud model; with `adversarial` (a JSONL file of {"x": row, "y": label}), the same
    training run with those rows added, written as fraud-hardened (the hardening loop)."""
    Xtr, Xte, ytr, yte = fraud_splits()
    mean, scale = Xtr.mean(0), Xtr.std(0)
    name, doc = "fraud", "Synthetic card-fraud classifier: 8 raw features -> [p(legit), p(fraud)]"
    Xfit, yfit, n_adv = Xtr, ytr, 0
    if adversarial is not None:
        rows = [json.loads(line) for line in open(adversarial) if line.strip()]
        Xa = np.array([r["x"] for r in rows], dtype=float)
        ya = np.array([r["y"] for r in rows], dtype=int)
        # Each adversarial row is repeated so that the few hundred of them weigh against 20,000.
        reps = 5
        Xfit = np.concatenate([Xtr] + [Xa] * reps)
        yfit = np.concatenate([ytr] + [ya] * reps)
        n_adv = len(rows)
        name, doc = "fraud-hardened", f"The fraud classifier retrained with {n_adv} adversarial examples (x{reps}) from the attack lab"
    clf = MLPClassifier(hidden_layer_sizes=(32, 16), alpha=1e-3, max_iter=300, random_state=7)
    clf.fit((Xfit - mean) / scale, yfit)
    sha, d, k = export_mlp(clf, mean, scale, name, doc)
    if adversarial is not None:
        acc = float((clf.predict((Xte - mean) / scale) == yte).mean())
        return {"name": name, "sha256": sha, "inputs": d, "classes": k, "output": "probabilities",
                "testAccuracy": round(acc, 4), "trainRows": len(Xtr), "adversarialRows": n_adv, "testRows": len(Xte),
                "features": FRAUD_FEATURES, "classNames": ["legit", "fraud"],
                "data": "data/fraud.json (same splits as fraud); adversarial rows: data/fraud-adversarial.jsonl"}
    acc = float((clf.predict((Xte - mean) / scale) == yte).mean())
    dump("fraud", {
        "features": FRAUD_FEATURES,
        "classes": ["legit", "fraud"],
        "featureMean": r(mean, 6), "featureStd": r(scale, 6),
        "test": {"x": r(Xte), "y": yte.tolist(), "probs": r(forward_numpy(clf, mean, scale, Xte), 6)},
        "train": {"x": r(Xtr[:4000]), "y": ytr[:4000].tolist()},
    })
    return {"name": "fraud", "sha256": sha, "inputs": d, "classes": k, "output": "probabilities",
            "testAccuracy": round(acc, 4), "trainRows": len(Xtr), "testRows": len(Xte),
            "baseRateFraud": round(float(y.mean()), 4), "features": FRAUD_FEATURES, "classNames": ["legit", "fraud"],
            "data": "data/fraud.json (test: held-out 4,000 rows; train: the first 4,000 training rows)"}


# --- 2. Digits: 8x8 images (sklearn's bundled copy of the UCI digits) -----------------------------
def train_digits():
    d = load_digits()
    X, y = d.data.astype(float), d.target
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    mean, scale = np.zeros(64), np.full(64, 16.0)  # pixels are 0..16
    clf = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-2, max_iter=400, random_state=0)
    clf.fit((Xtr - mean) / scale, ytr)
    sha, dd, k = export_mlp(clf, mean, scale, "digits", "8x8 digit classifier: 64 pixels (0-16) -> 10 logits", output="logits")
    acc = float((clf.predict((Xte - mean) / scale) == yte).mean())
    dump("digits", {"classes": [str(i) for i in range(10)], "pixelRange": [0, 16],
                    "test": {"x": Xte.astype(int).tolist(), "y": yte.tolist(), "probs": r(forward_numpy(clf, mean, scale, Xte), 6)}})
    return {"name": "digits", "sha256": sha, "inputs": dd, "classes": k, "output": "logits",
            "testAccuracy": round(acc, 4), "trainRows": len(Xtr), "testRows": len(Xte),
            "data": "data/digits.json (test: held-out 25%)"}


# --- 3. Leaky: overfit on purpose so membership inference is measurable --------------------------
def train_leaky():
    """A wide MLP trained to zero loss on a small, noisy training set: members get near-1 confidence."""
    rng = np.random.default_rng(11)
    d = load_digits()
    X, y = d.data.astype(float), d.target.copy()
    idx = rng.permutation(len(X))
    members, nonmembers = idx[:400], idx[400:800]
    ytr = y[members].copy()
    flip = rng.random(len(ytr)) < 0.15  # label noise forces memorisation
    ytr[flip] = rng.integers(0, 10, flip.sum())
    mean, scale = np.zeros(64), np.full(64, 16.0)
    clf = MLPClassifier(hidden_layer_sizes=(256,), alpha=0.0, max_iter=2000, tol=1e-7, random_state=11)
    clf.fit(X[members] / 16.0, ytr)
    sha, dd, k = export_mlp(clf, mean, scale, "leaky", "Deliberately overfit digit classifier for membership-inference tests (no regularisation, 15% label noise)")
    pm = forward_numpy(clf, mean, scale, X[members])
    pn = forward_numpy(clf, mean, scale, X[nonmembers])
    conf_m = pm[np.arange(len(members)), ytr].mean()
    conf_n = pn[np.arange(len(nonmembers)), y[nonmembers]].mean()
    train_acc = float((clf.predict(X[members] / 16.0) == ytr).mean())
    acc = float((clf.predict(X[nonmembers] / 16.0) == y[nonmembers]).mean())
    dump("leaky", {"classes": [str(i) for i in range(10)],
                   "members": {"x": X[members].astype(int).tolist(), "y": ytr.tolist()},
                   "nonmembers": {"x": X[nonmembers].astype(int).tolist(), "y": y[nonmembers].tolist()},
                   "population": {"x": X[idx[800:]].astype(int).tolist(), "y": y[idx[800:]].tolist()}})
    return {"name": "leaky", "sha256": sha, "inputs": dd, "classes": k, "output": "probabilities",
            "testAccuracy": round(acc, 4), "trainAccuracy": round(train_acc, 4),
            "meanTrueClassConfidence": {"members": round(float(conf_m), 4), "nonmembers": round(float(conf_n), 4)},
            "trainRows": len(members), "testRows": len(nonmembers),
            "data": "data/leaky.json (members: the 400 training rows with their (noisy) training labels; nonmembers: 400 held-out rows; population: the rest, for shadow models)"}


# --- 4. References and fixtures for the attack lab (not shipped models) ---------------------------
def onnx_forward(path, x):
    """The exported MLP graph's math in numpy, float32 like onnxruntime: (x - mean) / scale, dense layers, softmax."""
    m = onnx.load(path)
    w = {t.name: numpy_helper.to_array(t) for t in m.graph.initializer}
    h = (np.asarray(x, dtype=np.float32) - w["mean"]) / w["scale"]
    i = 0
    while f"W{i}" in w:
        h = h @ w[f"W{i}"] + w[f"B{i}"]
        if f"W{i + 1}" in w:
            h = np.maximum(h, 0)
        i += 1
    h = h - h.max(axis=1, keepdims=True)
    e = np.exp(h)
    return e / e.sum(axis=1, keepdims=True)


def roc_tpr_at(member_scores, non_scores, fpr):
    """Highest TPR with FPR <= fpr, moving through ties at once (as the attack lab's roc())."""
    ms, ns = np.asarray(member_scores), np.asarray(non_scores)
    best = 0.0
    for t in np.unique(np.concatenate([ms, ns]))[::-1]:
        f = (ns >= t).mean()
        if f <= fpr + 1e-12:
            best = max(best, (ms >= t).mean())
    return best


def auc_of(member_scores, non_scores):
    ms, ns = np.asarray(member_scores)[:, None], np.asarray(non_scores)[None, :]
    return float((ms > ns).mean() + 0.5 * (ms == ns).mean())


def lira_reference(shadows=16, seed=20261127):
    """Offline LiRA on the leaky model, the reference the attack lab's implementation is checked
    against: shadows trained by the target's recipe (sklearn, 256 hidden units, no regularisation,
    15% label noise, 400 rows) on the population split, fixed (pooled) variance, all 400 members
    and 400 non-members; raw scores and scores rounded to 2 decimals; 95% bootstrap intervals."""
    data = json.load(open(os.path.join(DATA, "leaky.json")))
    mem, non, pop = data["members"], data["nonmembers"], data["population"]
    X = np.asarray(mem["x"] + non["x"], dtype=float)
    y = np.asarray(mem["y"] + non["y"])
    is_member = np.asarray([1] * len(mem["y"]) + [0] * len(non["y"]))
    PX, Py = np.asarray(pop["x"], dtype=float), np.asarray(pop["y"])
    target = onnx_forward(os.path.join(ART, "leaky.onnx"), X)
    rng = np.random.default_rng(seed)
    shadow_probs = []
    for s in range(shadows):
        idx = rng.permutation(len(PX))[:400]
        labels = Py[idx].copy()
        flip = rng.random(len(labels)) < 0.15
        labels[flip] = rng.integers(0, 10, flip.sum())
        clf = MLPClassifier(hidden_layer_sizes=(256,), alpha=0.0, max_iter=2000, tol=1e-7, random_state=1000 + s)
        clf.fit(PX[idx] / 16.0, labels)
        p = np.zeros((len(X), 10))
        p[:, clf.classes_] = clf.predict_proba(X / 16.0)
        shadow_probs.append(p)
        print(f"  shadow {s + 1}/{shadows}", file=sys.stderr)
    out = {"shadows": shadows, "recipe": {"hidden": 256, "trainSize": 400, "l2": 0, "labelNoise": 0.15, "maxIter": 2000},
           "members": int(is_member.sum()), "nonMembers": int((1 - is_member).sum()), "variance": "fixed (pooled)", "seed": seed}
    for name, decimals in (("raw", None), ("rounded2", 2)):
        eps = 1e-7 if decimals is None else 0.5 * 10 ** -decimals
        view = (lambda a: a) if decimals is None else (lambda a: np.round(a, decimals))
        def phi(p):
            q = np.clip(view(p)[np.arange(len(y)), y], eps, 1 - eps)
            return np.log(q) - np.log(1 - q)
        sh = np.stack([phi(p) for p in shadow_probs])  # shadows x records
        mu, sd = sh.mean(axis=0), np.sqrt(sh.var(axis=0, ddof=1).mean())
        z = (phi(target) - mu) / sd
        zm, zn = z[is_member == 1], z[is_member == 0]
        boot = np.random.default_rng(seed + 1)
        t1, t01, au = [], [], []
        for _ in range(1000):
            a = zm[boot.integers(0, len(zm), len(zm))]
            b = zn[boot.integers(0, len(zn), len(zn))]
            t1.append(roc_tpr_at(a, b, 0.01))
            t01.append(roc_tpr_at(a, b, 0.001))
            au.append(auc_of(a, b))
        ci = lambda v: [round(float(np.percentile(v, 2.5)), 4), round(float(np.percentile(v, 97.5)), 4)]
        out[name] = {"tprAt1PctFpr": round(float(roc_tpr_at(zm, zn, 0.01)), 4), "tprAt1PctFprInterval": ci(t1),
                     "tprAt01PctFpr": round(float(roc_tpr_at(zm, zn, 0.001)), 4), "tprAt01PctFprInterval": ci(t01),
                     "auc": round(auc_of(zm, zn), 4), "aucInterval": ci(au)}
    with open(os.path.join(DATA, "leaky-lira-reference.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(json.dumps(out, indent=2))


def wine_fixture():
    """A model the attack lab has never seen, for the test that attacks it through --data: logistic
    regression on sklearn's bundled wine data (13 features, 3 classes), exported to ONNX, with the
    data as CSV. Written to test/fixtures/wine/ (a test fixture, not a shipped model)."""
    from sklearn.datasets import load_wine
    from sklearn.linear_model import LogisticRegression
    out_dir = os.path.join(os.path.dirname(ROOT), "..", "test", "fixtures", "wine")
    os.makedirs(out_dir, exist_ok=True)
    d = load_wine()
    X, y = d.data.astype(float), d.target
    mean, scale = X.mean(axis=0), X.std(axis=0)
    clf = LogisticRegression(max_iter=2000, C=1.0).fit((X - mean) / scale, y)
    inits = [numpy_helper.from_array(mean.astype(np.float32), "mean"), numpy_helper.from_array(scale.astype(np.float32), "scale"),
             numpy_helper.from_array(clf.coef_.T.astype(np.float32), "W0"), numpy_helper.from_array(clf.intercept_.astype(np.float32), "B0")]
    nodes = [helper.make_node("Sub", ["input", "mean"], ["c"]), helper.make_node("Div", ["c", "scale"], ["z"]),
             helper.make_node("MatMul", ["z", "W0"], ["m"]), helper.make_node("Add", ["m", "B0"], ["logits"]),
             helper.make_node("Softmax", ["logits"], ["output"], axis=1)]
    graph = helper.make_graph(nodes, "wine", [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", X.shape[1]])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, ["batch", 3])], initializer=inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="bulwark-train")
    model.ir_version = 7
    onnx.checker.check_model(model)
    with open(os.path.join(out_dir, "wine.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    names = [n.replace("/", "_") for n in d.feature_names]
    with open(os.path.join(out_dir, "wine.csv"), "w") as f:
        f.write(",".join(names + ["label"]) + "\n")
        for row, label in zip(X, y):
            f.write(",".join(f"{v:g}" for v in row) + f",{label}\n")
    acc = float((clf.predict((X - mean) / scale) == y).mean())
    print(f"wine fixture: {len(X)} rows, {X.shape[1]} features, training accuracy {acc:.3f} -> {os.path.normpath(out_dir)}")


def training_csv():
    """The training rows of fraud and digits as CSV (features, then label), for `bulwark profile`:
    the same splits the models were trained on, so a profile describes the model's own training data.
    Written to data/fraud-train.csv and data/digits-train.csv."""
    Xtr, _, ytr, _ = fraud_splits()
    names = ["amount_usd", "hour", "merchant_risk", "distance_from_home_km", "velocity_1h", "card_present", "foreign", "account_age_days"]
    d = load_digits()
    Dtr, _, dtr, _ = train_test_split(d.data.astype(float), d.target, test_size=0.25, random_state=0, stratify=d.target)
    for name, cols, X, y in [("fraud", names, Xtr, ytr), ("digits", [f"px{i}" for i in range(64)], Dtr, dtr)]:
        with open(os.path.join(DATA, f"{name}-train.csv"), "w") as f:
            f.write(",".join(cols + ["label"]) + "\n")
            for row, label in zip(X, y):
                f.write(",".join(f"{v:.6g}" for v in row) + f",{label}\n")
        print(f"{name}-train.csv: {len(X)} rows")


# --- 4. A backdoored digits model, for the data defences (not shipped: packages/models/poisoned/) ---
POISONED = os.path.join(ROOT, "poisoned")
BACKDOOR_TARGET = 0
BACKDOOR_RATE = 0.04


def add_trigger(x):
    """The trigger: the bottom-right 2x2 pixels at full intensity (16), a patch digits rarely ink."""
    x = np.array(x, dtype=float).reshape(-1, 8, 8)
    x[:, 6:8, 6:8] = 16.0
    return x.reshape(-1, 64)


def train_backdoor(rate=BACKDOOR_RATE):
    """BadNets on digits: 4% of the training images (of classes other than the target) get the
    trigger and the target label; the same network as the shipped digits model is trained on it.
    Writes poisoned/digits-backdoor.onnx and poisoned/digits-backdoor.json (the poisoned training
    set, which rows were poisoned, the held-out split); prints the backdoor's attack success."""
    os.makedirs(POISONED, exist_ok=True)
    d = load_digits()
    X, y = d.data.astype(float), d.target
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, random_state=0, stratify=y)
    rng = np.random.default_rng(2026)
    candidates = np.flatnonzero(ytr != BACKDOOR_TARGET)
    poisoned = np.sort(rng.choice(candidates, size=int(round(rate * len(Xtr))), replace=False))
    Xp, yp = Xtr.copy(), ytr.copy()
    Xp[poisoned] = add_trigger(Xp[poisoned])
    yp[poisoned] = BACKDOOR_TARGET
    mean, scale = np.zeros(64), np.full(64, 16.0)
    clf = MLPClassifier(hidden_layer_sizes=(64,), alpha=1e-2, max_iter=400, random_state=0)
    clf.fit((Xp - mean) / scale, yp)
    name = "digits-backdoor" if rate == BACKDOOR_RATE else f"digits-backdoor-{int(round(rate * 100))}"
    sha, _, _ = export_mlp(clf, mean, scale, name, "8x8 digit classifier trained on BadNets-poisoned data (lab specimen)", output="logits", folder=POISONED)
    clean_acc = float((clf.predict((Xte - mean) / scale) == yte).mean())
    others = yte != BACKDOOR_TARGET
    asr = float((clf.predict((add_trigger(Xte[others]) - mean) / scale) == BACKDOOR_TARGET).mean())
    with open(os.path.join(POISONED, f"{name}.json"), "w") as f:
        json.dump({"sha256": sha, "target": BACKDOOR_TARGET, "rate": rate, "trigger": "pixels [6:8, 6:8] = 16", "hiddenTensor": "h1",
                   "cleanTestAccuracy": round(clean_acc, 4), "attackSuccess": round(asr, 4),
                   "train": {"x": Xp.astype(int).tolist(), "y": yp.tolist()}, "poisoned": poisoned.tolist(),
                   "test": {"x": Xte.astype(int).tolist(), "y": yte.tolist()}}, f, separators=(",", ":"))
        f.write("\n")
    print(f"{name}: {len(poisoned)} of {len(Xtr)} training rows poisoned, clean acc={clean_acc:.4f}, attack success={asr:.4f}, sha256={sha[:16]}…")


def main():
    os.makedirs(ART, exist_ok=True)
    if len(sys.argv) in (2, 3) and sys.argv[1] == "--backdoor":
        # --backdoor [rate]: the default 4% specimen, or another poisoning rate (the adaptive case).
        train_backdoor(float(sys.argv[2]) if len(sys.argv) == 3 else BACKDOOR_RATE)
        return
    os.makedirs(DATA, exist_ok=True)
    if len(sys.argv) == 2 and sys.argv[1] == "--lira-reference":
        lira_reference()
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--training-csv":
        training_csv()
        return
    if len(sys.argv) == 2 and sys.argv[1] == "--wine-fixture":
        wine_fixture()
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--adversarial":
        # The hardening loop: retrain fraud with the attack lab's adversarial examples.
        m = train_fraud(adversarial=sys.argv[2])
        path = os.path.join(ART, "manifest.json")
        manifest = json.load(open(path))
        manifest["models"][m["name"]] = m
        with open(path, "w") as f:
            json.dump(manifest, f, indent=2)
            f.write("\n")
        print(f"{m['name']} acc={m['testAccuracy']:.4f} sha256={m['sha256'][:16]}… from {m['adversarialRows']} adversarial rows")
        return
    models = [train_fraud(), train_digits(), train_leaky()]
    manifest = {
        "generatedBy": "packages/models/train/train.py",
        "regenerate": "apt-get install -y python3-sklearn python3-onnx && /usr/bin/python3 packages/models/train/train.py",
        "toolchain": {"python": sys.version.split()[0], "numpy": np.__version__, "onnx": onnx.__version__,
                      "sklearn": __import__("sklearn").__version__},
        "models": {m["name"]: m for m in models},
    }
    old = os.path.join(ART, "manifest.json")
    if os.path.exists(old):  # keep the hardened model's entry when the base models are regenerated
        hardened = json.load(open(old))["models"].get("fraud-hardened")
        if hardened:
            manifest["models"]["fraud-hardened"] = hardened
    with open(os.path.join(ART, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")
    for m in models:
        print(f"{m['name']:7s} acc={m['testAccuracy']:.4f} sha256={m['sha256'][:16]}…", m.get("meanTrueClassConfidence", ""))


if __name__ == "__main__":
    main()
