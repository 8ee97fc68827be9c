"""`make bench`'s image phases, each with processes of its own: how soon a provider's finished
image reaches the client (bench/media.py) and how many image turns one web process and one
worker hold (bench/image_turns.py), with their tables and issue 18's targets."""

from __future__ import annotations

import argparse
from typing import Any

from bench import report


def image_phases(args: argparse.Namespace, paths: list[str]) -> dict[str, Any]:
    """The phases that start processes of their own: a stored image's latency (bench/media.py)
    and image turns held (bench/image_turns.py), with their tables and targets."""
    phases, out = set(args.phases.split(",")), {"extra_tables": [], "targets": {}}
    if "easel" not in paths:
        return out
    if "media" in phases:
        from bench import media

        parser = argparse.ArgumentParser()
        media.add_arguments(parser)
        print("bench: media, a provider's final image event to media_generated", flush=True)
        out["media"] = _run_loop(media.media_phase(parser.parse_args(["--media-rounds", str(args.media_rounds)])))
        out["extra_tables"].append(media.tables(out["media"]))
        out["targets"].update(report.media_targets(out["media"]))
    if "image_turns" in phases:
        from bench import image_turns

        # On PostgreSQL, as the production topology runs: SQLite's one writer is not made for a
        # thousand runs at once (past ~700 some waited longer than its 30 s lock timeout).
        from bench.run import postgres_reachable

        database = args.postgres if args.postgres and postgres_reachable(args.postgres) else ""
        print(f"bench: image turns held, rungs {args.image_rungs}, on {database or 'SQLite'}", flush=True)
        held = image_turns.parse_args(["--rungs", args.image_rungs, "--postgres", database])
        out["image_turns"] = _run_loop(image_turns.image_turns_phase(held))
        out["extra_tables"].append(image_turns.tables(out["image_turns"]))
        out["targets"].update(report.image_turn_targets(out["image_turns"]))
    return out


def _run_loop(coroutine: Any) -> Any:
    from bench.run import _run_loop as run

    return run(coroutine)
