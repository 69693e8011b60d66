"""Write the label pools' unit files and their frozen splits, once, before labelling.

    python scripts/make_label_pools.py [--shared ../shared]

Writes into seeds/labels/ (refusing to overwrite any file that exists, since
the splits must stay as they were when labelling began):

* units_propaganda_diary.csv   every row of cases.csv as a unit (group = fake heading)
* units_press_releases.csv     the seeded draw of press-release chunks that mention
                               Russia or Ukraine, stratified by side and month
* test_split_propaganda_diary.txt, test_split_press_releases.txt
                               grouped test splits (about 25% of units)
* blind_units_pools.csv        the 20%+ per source shown to the blind second annotator
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from topicstance.embed.model import load_tokenizer  # noqa: E402
from topicstance.params import load_params  # noqa: E402
from topicstance.stance import pools  # noqa: E402

SEED = 20261201
PER_SIDE = 330
TEST_FRACTION = 0.25
SECOND_SHARE = 0.21


def write_once(path: Path, text: str) -> None:
    if path.exists():
        raise SystemExit(f"{path}: exists; the pools are frozen once labelling has begun")
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")


def split_file(ids: list[str], what: str) -> str:
    head = [f"# Test split of the {what} stance units: drawn by group before any unit was labelled; never trained on.",
            f"# scripts/make_label_pools.py, seed {SEED}, fraction {TEST_FRACTION}. One unit_id per line."]
    return "\n".join(head + ids) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
    a = ap.parse_args()
    corpora = Path(a.shared) / "corpora"
    params = load_params(ROOT / "params.yaml")
    out = ROOT / "seeds" / "labels"

    pd_units = pools.propaganda_units(corpora / "propaganda_diary" / "cases.csv")
    tok = load_tokenizer(params.embed.model)
    pat = pools.mention_pattern({t: params.stance.aliases.get(t, []) for t in params.stance.targets})
    chunks = pools.press_release_chunks(corpora / "presidential_press_releases", tok, params.chunk.max_tokens,
                                        params.chunk.overlap_sentences, pat)
    print(f"press-release chunks that mention a target: {len(chunks)} "
          f"({chunks['source'].value_counts().to_dict()})")
    pr_units = pools.stratified_draw(chunks, PER_SIDE, SEED)

    pd_test = pools.grouped_test_units(pd_units, "kind", TEST_FRACTION, SEED)
    pr_test = pools.grouped_test_units(pr_units, "source", TEST_FRACTION, SEED)
    blind = pools.second_annotation_sample(
        __import__("pandas").concat([pd_units[["unit_id", "source", "text"]], pr_units[["unit_id", "source", "text"]]]),
        SECOND_SHARE, SEED)

    write_once(out / "units_propaganda_diary.csv", pd_units.to_csv(index=False))
    write_once(out / "units_press_releases.csv", pr_units.to_csv(index=False))
    write_once(out / "test_split_propaganda_diary.txt", split_file(pd_test, "propaganda-diary"))
    write_once(out / "test_split_press_releases.txt", split_file(pr_test, "press-release"))
    write_once(out / "blind_units_pools.csv", blind.to_csv(index=False))
    print(f"propaganda diary: {len(pd_units)} units, {len(pd_test)} test; press releases: {len(pr_units)} units "
          f"({pr_units['source'].value_counts().to_dict()}), {len(pr_test)} test; second annotation: "
          f"{blind['source'].value_counts().to_dict()}")


if __name__ == "__main__":
    main()
