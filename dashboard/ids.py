"""Component ids: every id the layouts and callbacks share, in one place.

A callback names its inputs and outputs through these constants, never by a string of
its own, so that a renamed component fails at import time, not in a browser.
"""

from __future__ import annotations

# The shell: one router for every page.
URL = "url"
PAGE = "page"
NAV = "nav"

# Runs page.
RUNS_BUILD = "runs-build"
RUNS_BRANCH = "runs-branch"
RUNS_LABELS = "runs-labels"
RUNS_STATUS = "runs-status"
RUNS_PAGE = "runs-page"
RUNS_PREVIOUS = "runs-previous"
RUNS_NEXT = "runs-next"
RUNS_TABLE = "runs-table"
RUNS_TREND = "runs-trend"
RUNS_PICK = "runs-pick"
"""Pattern-matching id type of the per-row compare checkboxes: ``{"type": RUNS_PICK,
"ref": <run ref>}``."""
RUNS_COMPARE = "runs-compare"
RUNS_COMPARE_WHY = "runs-compare-why"
RUNS_HOME = "runs-home"
"""The link to the shown build's own page."""

# Build page.
GANTT = "gantt"
TIMELINE_OVERVIEW = "timeline-overview"
"""The whole build in miniature above the timeline: a drag on it zooms the timeline."""
GANTT_QUICK = "gantt-quick"
"""The stage chart drawn from a history run's rows while its stream is read."""
GANTT_QUICK_ALL = "gantt-quick-all"
"""That chart with every stage, drawn once its first rows are drawn and scrolled to."""
BUILD_QUICK_REF = "build-quick-ref"
BUILD_FULL = "build-full"
TIMELINE_VIEW = "timeline-view"
TIMELINE_NOTE = "timeline-note"
WAITING = "waiting"
STEP_PANEL = "step-panel"
SUGGESTIONS = "suggestions"
BUILD_REF = "build-ref"
BUILD_DETAILS = "build-details"
STAGE_TABLE = "stage-table"
FAILURE_LOCATION = "failure-location"
CRITICAL_PATH_TABLE = "critical-path-table"
SLOWEST_TABLE = "slowest-table"

# A build's own page.
HOME_RUNS = "home-runs"
HOME_STAGES = "home-stages"
HOME_FAILURE = "home-failure"
HOME_TABLE = "home-table"

# Compare page.
COMPARE_A = "compare-a"
COMPARE_B = "compare-b"
COMPARE_CONTENT = "compare-content"

# Trends page.
TRENDS_BUILD = "trends-build"
TRENDS_BRANCH = "trends-branch"
TRENDS_LABELS = "trends-labels"
TRENDS_STAGE = "trends-stage"
TRENDS_LAST = "trends-last"
TRENDS_CONTENT = "trends-content"
TRENDS_RUNS = "trends-runs"
TRENDS_STAGES = "trends-stages"

# Build page of a multi-platform build (dashboard/layout/platforms.py).
PLATFORM_CARD = "platform-card"
PLATFORM_TABLE = "platform-table"
PLATFORM_GRAPH = "platform-graph"
