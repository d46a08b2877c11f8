"""Rendering of the comparison: one self-contained HTML page, and the same tables in Markdown.

The page is HiPlot's own offline page (its script is inline) with the report's sections put
around HiPlot's plot; the curves are inline SVG drawn by matplotlib. Nothing is fetched from
the network, so the file opens from disk in any browser.
"""

from __future__ import annotations

import html
import io
import re
from typing import Any, Mapping, Sequence

import numpy as np

from tune_jobs.jobs.objective import Objective
from tune_jobs.report import anytime

AXES = {"compute": "compute spent (epochs x folds)", "elapsed_s": "wall time of the sweep (s)"}
HIPLOT_HIDDEN = ("run", "trial_id", "time_s", "elapsed_s")  # in the table below the plot, not as axes
HIPLOT_BODY = '<body style="margin:0px">'
HIPLOT_FONT = re.compile(r'@import\\?"https://fonts\.googleapis\.com[^"\\]*\\?"')
STYLE = """<style>
 .tj { font-family: system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
 .tj table { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0 1.5em; }
 .tj th, .tj td { border: 1px solid #ccc; padding: 0.25em 0.5em; text-align: right; }
 .tj th { background: #f3f3f3; }
 .tj td:first-child, .tj th:first-child { text-align: left; }
 .tj .warn { background: #fff4e5; border-left: 4px solid #e67e22; padding: 0.3em 0.8em; margin: 0.3em 0; }
 .tj figure { display: inline-block; margin: 0 1em 1em 0; }
</style>"""


def curves_svg(curves: Mapping[str, Sequence[Sequence[anytime.Point]]], axis: str, target: float | None,
               objective: Objective) -> str:
    """Best-so-far CV score against ``axis``, a line per searcher: the median over its seeds,
    the band from the lowest to the highest seed."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    figure, ax = plt.subplots(figsize=(6.4, 4.0))
    near = []  # the values that matter for the y range: the curves' worst ends and the target
    for label, runs in curves.items():
        band = anytime.band(runs, axis)
        if not len(band["x"]):
            continue
        (line,) = ax.plot(band["x"], band["median"], drawstyle="steps-post", label=f"{label} (n={len(runs)})")
        if len(runs) > 1:
            ax.fill_between(band["x"], band["low"], band["high"], step="post", alpha=0.2, color=line.get_color())
        near.extend(v for v in band["low" if objective.maximize else "high"] if not np.isnan(v))
    if target is not None and not np.isnan(target):
        ax.axhline(target, color="grey", linestyle="--", linewidth=1,
                   label=f"within {objective.tolerance_text} of the grid's best")
        near.append(target)
    if near and objective.maximize:  # the interesting part: from a little below the target up
        floor = max(min(near), float(np.median(near)) - 0.05)
        ax.set_ylim(bottom=floor - 0.005)
    elif near:  # an error: log scale shows a tenfold improvement as well at 1e-4 as at 1
        if min(near) > 0:
            ax.set_yscale("log")
    ax.set_xlabel(AXES[axis])
    ax.set_ylabel(f"best {objective.label} so far")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="lower right" if objective.maximize else "upper right")
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]  # drop the XML prologue: the SVG goes inline


def parallel_coordinates_html(trials: Sequence[Mapping[str, Any]], objective: Objective) -> str:
    """HiPlot's offline page for every trial, coloured by the mean CV score."""
    import hiplot

    experiment = hiplot.Experiment.from_iterable(trials)
    experiment.colorby = objective.key
    experiment.enabled_displays = [hiplot.Displays.PARALLEL_PLOT, hiplot.Displays.TABLE]
    columns = list(trials[0]) if trials else []
    shown = [c for c in columns if c not in HIPLOT_HIDDEN]
    # HiPlot draws its first column rightmost: the score ends up on the right, the searcher on the left.
    experiment.display_data(hiplot.Displays.PARALLEL_PLOT).update(
        {"order": list(reversed(shown)), "hide": [c for c in columns if c in HIPLOT_HIDDEN] + ["uid", "from_uid"]})
    page = experiment.to_html()
    return HIPLOT_FONT.sub("", page)  # a web font: the page must not reach for the network


def table_html(rows: Sequence[Mapping[str, Any]], caption: str = "") -> str:
    if not rows:
        return "<p>(none)</p>"
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in rows[0])
    body = "".join("<tr>" + "".join(f"<td>{html.escape(cell(v))}</td>" for v in row.values()) + "</tr>"
                   for row in rows)
    title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{title}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def table_md(rows: Sequence[Mapping[str, Any]]) -> str:
    if not rows:
        return "(none)\n"
    columns = list(rows[0])
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row[c]).replace("|", "\\|") for c in columns) + " |" for row in rows]
    return "\n".join(lines) + "\n"


def cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:.4f}" if abs(value) < 10 else f"{value:,.0f}"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    return str(value)


def page(title: str, before: Sequence[str], hiplot_page: str, after: Sequence[str]) -> str:
    """The report: its sections, HiPlot's plot between them, in HiPlot's self-contained page."""
    if HIPLOT_BODY not in hiplot_page:
        raise RuntimeError("HiPlot's page changed shape: its <body> tag was not found")
    hiplot_page = hiplot_page.replace("<title>HiPlot</title>", f"<title>{html.escape(title)}</title>", 1)
    top = f'{HIPLOT_BODY}{STYLE}<div class="tj">{"".join(before)}</div>'
    bottom = f'<div class="tj">{"".join(after)}</div></body>'
    start = hiplot_page.replace(HIPLOT_BODY, top, 1)
    end = start.rindex("</body>")
    return start[:end] + bottom + start[end + len("</body>"):]
