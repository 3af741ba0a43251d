#!/usr/bin/env python3
"""Fits the fusion weights (hitbot_engine::fusion::WEIGHTS) on the output of the `features` example.

Logistic regression (L2-regularised, Newton steps, standard library only) on every candidate of
every question where the model ran: label 1 when the candidate's answer holds the expected facts.
Then prints the decision accuracy the weights give per set (best candidate answered when p >= 0.5).

    python3 crates/engine/examples/calibrate.py features.jsonl [--l2 0.01]
"""
import argparse
import json
import math


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def predict(w, x):
    return sigmoid(w[0] + sum(wi * xi for wi, xi in zip(w[1:], x)))


def solve(a, b):
    """Solves a x = b (Gaussian elimination with partial pivoting)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for c in range(n):
        p = max(range(c, n), key=lambda r: abs(m[r][c]))
        m[c], m[p] = m[p], m[c]
        for r in range(n):
            if r != c and m[c][c] != 0:
                f = m[r][c] / m[c][c]
                m[r] = [x - f * y for x, y in zip(m[r], m[c])]
    return [m[i][n] / m[i][i] for i in range(n)]


def fit(rows, l2, iters):
    """Newton's method on the L2-regularised log loss (the bias is not regularised)."""
    n = len(rows[0][0]) + 1
    w = [0.0] * n
    for _ in range(iters):
        grad = [0.0] * n
        hess = [[0.0] * n for _ in range(n)]
        for x, y in rows:
            v = [1.0] + list(x)
            p = predict(w, x)
            for i in range(n):
                grad[i] += (p - y) * v[i]
                for j in range(n):
                    hess[i][j] += p * (1 - p) * v[i] * v[j]
        for i in range(1, n):
            grad[i] += l2 * len(rows) * w[i]
            hess[i][i] += l2 * len(rows)
        step = solve(hess, grad)
        w = [wi - si for wi, si in zip(w, step)]
        if max(abs(s) for s in step) < 1e-6:
            break
    return w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("features")
    ap.add_argument("--l2", type=float, default=0.01)
    ap.add_argument("--iters", type=int, default=50)
    args = ap.parse_args()
    questions = [json.loads(line) for line in open(args.features) if line.strip()]
    rows = [(c["x"], c["label"]) for q in questions if q["semantic"] for c in q["candidates"]]
    w = fit(rows, args.l2, args.iters)
    print("WEIGHTS: [" + ", ".join(f"{v:.3f}" for v in w) + "]")
    sets = {}
    for q in questions:
        if not q["semantic"]:
            continue
        best = max(q["candidates"], key=lambda c: predict(w, c["x"]), default=None)
        p = predict(w, best["x"]) if best else 0.0
        ok = (best is not None and p >= 0.5 and best["label"] == 1) if q["in_scope"] else p < 0.5
        s = sets.setdefault(q["set"], {True: [0, 0], False: [0, 0]})
        s[q["in_scope"]][0] += ok
        s[q["in_scope"]][1] += 1
    for name, s in sets.items():
        def share(k):
            return f"{s[k][0]}/{s[k][1]}"
        print(f"{name} (questions where the model ran): in_scope {share(True)} out_of_scope {share(False)}")


if __name__ == "__main__":
    main()
