"""The steps of a build as a pandas frame, with what the analysis says about each.

Here rather than on :class:`~profiler.model.Build`: the model knows no analysis.
(``Build.stages_frame`` needs none and stays on the model.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from profiler.analysis import BuildAnalysis, analyze
from profiler.model import Build

if TYPE_CHECKING:
    import pandas as pd

STEP_COLUMNS = [
    "digest", "name", "kind", "target", "platform", "stage", "index", "count",
    "instruction", "text", "start", "end", "duration", "cached", "status", "error",
    "on_critical_path", "log_chunks", "inputs",
]  # fmt: skip


def steps_frame(build: Build, analysis: BuildAnalysis | None = None) -> pd.DataFrame:
    """One row per vertex: the shape the dashboard, notebooks and exports use.

    Includes ``on_critical_path`` from the analysis (made here if not given), so a
    frame alone can draw the Gantt with the critical path highlighted.
    """
    import pandas as pd

    on_path = set((analysis if analysis is not None else analyze(build)).critical_path)
    rows = [
        {
            "digest": s.digest,
            "name": s.name,
            "kind": s.kind.value,
            "target": s.target,
            "platform": s.parsed.platform,
            "stage": s.stage_key,
            "index": s.parsed.index,
            "count": s.parsed.count,
            "instruction": s.parsed.instruction,
            "text": s.parsed.text,
            "start": s.start,
            "end": s.end,
            "duration": s.duration,
            "cached": s.cached,
            "status": s.status.value,
            "error": s.error,
            "on_critical_path": s.digest in on_path,
            "log_chunks": len(s.logs),
            "inputs": list(s.inputs),
        }
        for s in build.steps
    ]
    return pd.DataFrame(rows, columns=STEP_COLUMNS)
