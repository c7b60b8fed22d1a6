"""The results: ratios per size, a readable table on stdout, the JSON file and the chart."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench.machine import one_line

FLOOR = "copy_floor"
TABLE_COLUMNS = (
    ("scenario", "scenario", 22),
    ("seconds", "s", 9),
    ("rows_written", "rows", 9),
    ("rows_per_s", "rows/s", 10),
    ("sql_statements", "SQL all", 9),
    ("sql_toplevel", "SQL top", 9),
    ("job_statements", "own stmts", 9),
    ("helper_requests", "helper", 7),
    ("peak_rss_mib", "RSS MiB", 8),
    ("exit_code", "exit", 5),
)


def _scenario(size: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((s for s in size["scenarios"] if s["scenario"] == name), None)


def _ratio(top: float | None, bottom: float | None) -> float | None:
    return round(top / bottom, 3) if top is not None and bottom else None


def _seconds(size: dict[str, Any], name: str) -> float | None:
    found = _scenario(size, name)
    return float(found["seconds"]) if found else None


def _floor_seconds(size: dict[str, Any]) -> float | None:
    floor = size.get("copy_floor", {}).get("shaped")
    return float(floor["seconds"]) if floor else None


def ratios(size: dict[str, Any]) -> dict[str, float | None]:
    full = _seconds(size, "a_full_sync")
    full_row = _scenario(size, "a_full_sync")
    shaped = size["copy_floor"]["shaped"]
    per_row_job = full / full_row["rows_written"] if full and full_row and full_row["rows_written"] else None
    per_row_floor = shaped["seconds"] / shaped["rows"] if shaped["rows"] else None
    return {
        "full_over_shaped_copy_floor": _ratio(full, _floor_seconds(size)),
        "full_over_shaped_copy_floor_per_row": _ratio(per_row_job, per_row_floor),
        "naive_full_over_job_full": _ratio(_seconds(size, "naive_full_sync"), full),
        "no_change_over_full": _ratio(_seconds(size, "b_no_change_1"), full),
        "change_1pct_over_full": _ratio(_seconds(size, "c_change_1pct"), full),
        "full_reconcile_over_full": _ratio(_seconds(size, "d_full_no_change"), full),
        "delayed_full_over_loopback_full": _ratio(_seconds(size, "a_full_sync_delayed"), full),
    }


def _cell(value: object, width: int) -> str:
    if value is None:
        text = "-"
    elif isinstance(value, float):
        text = f"{value:,.2f}" if value < 1000 else f"{value:,.0f}"
    elif isinstance(value, int):
        text = f"{value:,}"
    else:
        text = str(value)
    return text.rjust(width) if not isinstance(value, str) else text.ljust(width)


def table(results: dict[str, Any]) -> str:
    lines = [f"machine: {one_line(results['machine'])}", *(f"note: {note}" for note in results["notes"])]
    for size in results["sizes"]:
        lines += ["", f"N = {size['n']:,}  (rows loaded: {size['rows_loaded']})"]
        lines.append("  ".join(_cell(title, width) for _, title, width in TABLE_COLUMNS))
        for scenario in size["scenarios"]:
            lines.append("  ".join(_cell(scenario.get(key), width) for key, _, width in TABLE_COLUMNS))
            for note in filter(None, [scenario.get("note")]):
                lines.append(f"    ({note})")
        for name, floor in size["copy_floor"].items():
            lines.append(
                f"COPY floor {name}: {floor['rows']:,} rows in {floor['seconds']:.3f}s "
                f"(out {floor['out_s']:.3f}s, in {floor['in_s']:.3f}s, {floor['rows_per_s']:,.0f} rows/s)"
            )
        lines.append(f"changed before c: {size['changes']}")
        lines += [f"ratio {name}: {'-' if value is None else f'{value:.2f}'}" for name, value in size["ratios"].items()]
    return "\n".join(lines)


def write_json(results: dict[str, Any], out_dir: Path) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "latest.json"
    path.write_text(json.dumps(results, indent=2, default=str) + "\n")
    return path


def write_chart(results: dict[str, Any], path: Path) -> Path:
    """Seconds against N, both on log scales, for the job, the row-by-row version and the COPY floor."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    series = (
        ("job: full sync", "a_full_sync", "o-"),
        ("job: no change", "b_no_change_1", "s-"),
        ("row by row: full sync", "naive_full_sync", "^--"),
        ("COPY floor (shaped students)", FLOOR, "d:"),
    )
    fig, ax = plt.subplots(figsize=(8, 5.5))
    for label, name, style in series:
        points = [(s["n"], _floor_seconds(s) if name == FLOOR else _seconds(s, name)) for s in results["sizes"]]
        xs, ys = [n for n, v in points if v], [v for _, v in points if v]
        if xs:
            ax.plot(xs, ys, style, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("N (students; N/4 advertisers, N payments)")
    ax.set_ylabel("seconds")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    ax.set_title("hestia-sync: time against size", fontsize=12)
    fig.text(0.5, 0.01, one_line(results["machine"]), ha="center", fontsize=8)
    fig.tight_layout(rect=(0, 0.04, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


DOC_BEGIN = "<!-- figures: written by python -m bench -->"
DOC_END = "<!-- end of figures -->"
DOC_COLUMNS = (
    ("scenario", "scenario"),
    ("seconds", "seconds"),
    ("rows_written", "rows written"),
    ("rows_per_s", "rows/s"),
    ("sql_toplevel", "statements"),
    ("helper_requests", "helper requests"),
    ("peak_rss_mib", "peak RSS MiB"),
)


def markdown(results: dict[str, Any]) -> str:
    """The figures as Markdown tables: one per N, then its COPY floor and ratios."""
    lines = [f"Measured on: {one_line(results['machine'])}.", ""]
    for size in results["sizes"]:
        lines += [f"### N = {size['n']:,}", "", "| " + " | ".join(title for _, title in DOC_COLUMNS) + " |"]
        lines.append("|" + "---|" * len(DOC_COLUMNS))
        for scenario in size["scenarios"]:
            lines.append("| " + " | ".join(_cell(scenario.get(key), 0).strip() for key, _ in DOC_COLUMNS) + " |")
        floors = ", ".join(
            f"{name} {floor['rows']:,} rows in {floor['seconds']:.2f} s" for name, floor in size["copy_floor"].items()
        )
        lines += ["", f"COPY floor: {floors}.", ""]
        lines += [
            f"- {name.replace('_', ' ')}: {'-' if v is None else f'{v:.3f}'}" for name, v in size["ratios"].items()
        ]
        lines.append("")
    return "\n".join(lines)


def write_markdown(results: dict[str, Any], path: Path) -> Path:
    """Replace the figures between the two markers of the performance page (the rest is prose)."""
    text = path.read_text()
    head, _, rest = text.partition(DOC_BEGIN)
    _, _, tail = rest.partition(DOC_END)
    path.write_text(f"{head}{DOC_BEGIN}\n{markdown(results)}\n{DOC_END}{tail}")
    return path
