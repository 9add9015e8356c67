"""A build whose names try to inject markup, and a suggestion that does too."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from profiler.model import Build
from profiler.sources import read_build
from profiler.suggest import Suggestion, SuggestionReport, suggest
from tests.streams import Stream

IMG = "<img src=x onerror=alert(1)>"
SCRIPT = "</script><script>alert(2)</script>"
PIPE = "a | b"


def evil_build(tmp_path: Path) -> Build:
    stream = (
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("sha256:from", "[base 1/2] FROM docker.io/library/alpine:3", 0.1, 0.2)
        .step("sha256:img", f"[base 2/2] RUN echo '{IMG}'", 0.2, 1.2, inputs=["sha256:from"])
        .step("sha256:scr", f"[x 1/1] RUN echo '{SCRIPT}' {PIPE}", 1.2, 2.0, inputs=["sha256:img"])
        .log("sha256:scr", f"{IMG}\n", 1.5)
        .step("sha256:export", "exporting to image", 2.0, 2.1)
    )
    path = tmp_path / "evil.rawjson"
    path.write_bytes(stream.indented())
    return read_build(path)


def evil_suggestions(build: Build) -> SuggestionReport:
    report = suggest(build)
    suggestion = Suggestion(
        kind="serialized-join",
        title=f"move {IMG} above {SCRIPT}",
        detail=f"because {IMG}",
        estimated_saving_seconds=0.5,
        estimated_wall_seconds=1.6,
        baseline_wall_seconds=2.1,
        scenario="this build",
        steps=(IMG,),
        digests=("sha256:img",),
        dockerfile_lines=(3, 4),
        diff=f"--- a/Dockerfile\n+++ b/Dockerfile\n@@ -1 +1 @@\n-RUN {IMG}\n+RUN {SCRIPT}\n",
        assumptions=(f"nothing uses {IMG}",),
    )
    return dataclasses.replace(report, suggestions=(suggestion,))
