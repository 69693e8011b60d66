"""``topicstance embed CHUNKS.parquet --out DIR``"""
from __future__ import annotations

import sys

from . import add_params_arg


def add_parser(sub) -> None:
    p = sub.add_parser("embed", help="embed chunks with sentence-transformers (cached)")
    p.add_argument("chunks", help="chunks.parquet")
    p.add_argument("--out", required=True, help="embeddings folder to write")
    p.add_argument("--report", default=None, help="also write the run's stats (hits, misses, times) as JSON")
    add_params_arg(p)
    p.set_defaults(func=run, inputs=("chunks",))


def _process_age() -> float | None:
    """Seconds since this process started (Linux /proc), i.e. the start-up before the command ran."""
    import os

    try:
        start_ticks = int(open("/proc/self/stat").read().rsplit(")", 1)[1].split()[19])
        uptime = float(open("/proc/uptime").read().split()[0])
        return round(uptime - start_ticks / os.sysconf("SC_CLK_TCK"), 2)
    except (OSError, ValueError, IndexError):
        return None


def run(args) -> int:
    startup = _process_age()
    from ..embed.run import embed_chunks
    from ..io import check_outputs, write_json
    from ..params import load_params

    params = load_params(args.params)
    check_outputs(files=[args.report], folders=[args.out])
    stats = embed_chunks(args.chunks, args.out, params.embed)
    stats["startup_seconds"] = startup
    if args.report:
        write_json(args.report, stats)
    print(f"embedded {stats['n_texts']} chunks ({stats['n_unique']} unique): "
          f"{stats['hits']} cache hits, {stats['misses']} misses, precision {stats['precision']}, "
          f"encode {stats['encode_seconds']:.1f}s", file=sys.stderr)
    return 0
