#!/usr/bin/env python3
"""Writes a synthetic knowledge folder of N entries shaped like the shipped ones (on average 12
alternate questions of ~6 words, a ~400-character answer, 13 keywords), for memory and build-time
measurements at sizes the real guide does not have (docs/performance.md, "Large knowledge").

    python3 benches/synthetic_knowledge.py 50000 /tmp/k50k

Words come from a fixed pseudo-random vocabulary (20,000 made-up words, drawn Zipf-like), so runs are
reproducible and the index's term dictionary grows like a real one's. Standard library only.
"""
import itertools
import os
import random
import sys

PER_FILE = 1000


def main():
    count, folder = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(14)
    syllables = ["ka", "lo", "mi", "ne", "ru", "sa", "ti", "vo", "ze", "pa", "do", "gu", "hi", "je", "bo"]
    vocab = sorted({"".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(25000)})
    rng.shuffle(vocab)
    vocab = vocab[:20000]
    cumulative = list(itertools.accumulate(1.0 / (i + 1) for i in range(len(vocab))))

    def words(n):
        return " ".join(rng.choices(vocab, cum_weights=cumulative, k=n))

    os.makedirs(folder, exist_ok=True)
    for start in range(0, count, PER_FILE):
        lines = []
        for i in range(start, min(count, start + PER_FILE)):
            questions = ", ".join(f'"{words(rng.randint(4, 8))}"' for _ in range(12))
            keywords = ", ".join(f'"{w}"' for w in words(13).split())
            answer = words(60)[:400]
            lines.append(
                f'[[entry]]\nid = "e{i}"\ntopic = "t{i % 10}"\ntitle = "{words(3)}"\n'
                f"questions = [{questions}]\nkeywords = [{keywords}]\n"
                f'answer = "{answer}."\nsource = "Synthetic"\n'
            )
        with open(os.path.join(folder, f"part{start // PER_FILE:03}.toml"), "w") as f:
            f.write("\n".join(lines))


if __name__ == "__main__":
    main()
