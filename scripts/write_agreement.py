"""Recompute seeds/labels/agreement.json from the label files (docs/annotation.md, step 3).

    python scripts/write_agreement.py
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

import pandas as pd  # noqa: E402

from topicstance.io import write_json  # noqa: E402
from topicstance.stance.agreement import agreement  # noqa: E402

L = ROOT / "seeds" / "labels"


def main() -> None:
    r = agreement(L / "stance.csv", L / "blind_second_annotation.csv", L / "adjudication.csv")
    final = pd.read_csv(L / "stance.csv", dtype=str, keep_default_na=False)
    n_adj = len(pd.read_csv(L / "adjudication.csv", dtype=str, keep_default_na=False))
    n_units = int(final["unit_id"].nunique())
    out = {"n_units_double_annotated": r["n_units_double_annotated"],
           "share_double_annotated": round(r["n_units_double_annotated"] / n_units, 4), "n_units": n_units,
           "per_target": r["per_target"], "per_source": r["per_source"],
           "resolution": f"{n_adj} disagreements resolved by re-reading against docs/annotation.md; "
                         "see adjudication.csv"}
    write_json(L / "agreement.json", out)
    print(f"wrote {L / 'agreement.json'}")


if __name__ == "__main__":
    main()
