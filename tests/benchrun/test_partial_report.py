"""`python -m bench.run queue_bench` re-runs one benchmark: its sections replace their old text in
bench/results.md and every other benchmark's section stays."""

from __future__ import annotations

from bench.run import merge_sections

OLD = ("# Benchmark results (2026-11-27)\n\n## Central\nold central\n\n"
       "## Offline queue (offline_queue/)\nold queue\n\n## UI\nui\n")
NEW = "# Benchmark results (2026-12-06)\n\n## Offline queue (offline_queue/)\nnew queue\n\n## Queue drain\nnew drain\n"


def test_a_partial_run_replaces_its_sections_and_keeps_the_rest() -> None:
    merged = merge_sections(OLD, NEW, "queue_bench")
    assert "new queue" in merged and "old queue" not in merged
    assert merged.index("## Central") < merged.index("## Offline queue") < merged.index("## UI") < merged.index(
        "## Queue drain")
    assert "old central" in merged and "\nui\n" in merged
    assert merged.startswith("# Benchmark results (2026-11-27)") and "_queue_bench: re-run " in merged


def test_re_running_the_same_benchmark_keeps_one_note_of_it() -> None:
    twice = merge_sections(merge_sections(OLD, NEW, "queue_bench"), NEW, "queue_bench")
    assert twice.count("_queue_bench: re-run ") == 1 and twice.count("## Offline queue") == 1
