"""`make bench`: run every benchmark in turn. Each one is resumable and skips a finished
configuration unless given --force (pass extra arguments through: `python bench/run_all.py --force`)."""
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHES = ["embed.py", "embed_scale.py", "embed_models.py", "topics_bbc.py", "stance_semeval.py", "stance_ablation.py", "prevalence.py", "prevalence_ablation.py", "stance_apply_rate.py", "predict.py", "scale.py", "run_10k.py",
           "dvc_repro.py"]

if __name__ == "__main__":
    extra = sys.argv[1:]
    failed = []
    for b in BENCHES:
        print(f"== bench/{b}", flush=True)
        args = extra
        if subprocess.run([sys.executable, str(HERE / b), *args]).returncode != 0:
            failed.append(b)
    if failed:
        sys.exit(f"failed: {', '.join(failed)}")
