"""Build small, exact rawjson streams for unit tests.

Real recorded streams live in sample_builds/; these are for facts that need exact
times (a step from 1.0 s to 3.5 s) or shapes a real daemon rarely produces.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)


def stamp(seconds: float) -> str:
    """RFC 3339 with nanoseconds, as BuildKit writes it."""
    moment = T0 + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%f") + "000Z"


@dataclass
class Stream:
    """A list of SolveStatus events, plus text lines, in stream order."""

    events: list[dict[str, Any] | str] = field(default_factory=list)

    def vertex(
        self,
        digest: str,
        name: str,
        *,
        inputs: list[str] | None = None,
        started: float | None = None,
        completed: float | None = None,
        cached: bool = False,
        error: str | None = None,
    ) -> Stream:
        vertex: dict[str, Any] = {"digest": digest, "name": name}
        if inputs:
            vertex["inputs"] = inputs
        if started is not None:
            vertex["started"] = stamp(started)
        if completed is not None:
            vertex["completed"] = stamp(completed)
        if cached:
            vertex["cached"] = True
        if error:
            vertex["error"] = error
        self.events.append({"vertexes": [vertex]})
        return self

    def step(
        self,
        digest: str,
        name: str,
        start: float,
        end: float,
        *,
        inputs: list[str] | None = None,
        **kwargs: Any,
    ) -> Stream:
        """Announce, start and complete a vertex, as BuildKit does."""
        self.vertex(digest, name, inputs=inputs)
        self.vertex(digest, name, inputs=inputs, started=start)
        return self.vertex(digest, name, inputs=inputs, started=start, completed=end, **kwargs)

    def log(self, digest: str, text: str, at: float, stream: int = 1) -> Stream:
        data = base64.b64encode(text.encode()).decode()
        self.events.append(
            {"logs": [{"vertex": digest, "stream": stream, "data": data, "timestamp": stamp(at)}]}
        )
        return self

    def text(self, line: str) -> Stream:
        self.events.append(line)
        return self

    def indented(self) -> bytes:
        """The buildx ≤ 0.14 layout: each object over many lines."""
        return "".join(
            (event if isinstance(event, str) else json.dumps(event, indent=2)) + "\n"
            for event in self.events
        ).encode()

    def one_line(self) -> bytes:
        """The buildx ≥ 0.15 layout: one object per line."""
        return "".join(
            (event if isinstance(event, str) else json.dumps(event, separators=(",", ":"))) + "\n"
            for event in self.events
        ).encode()


def parallel_build() -> Stream:
    """base (1 s) → fast (1 s) and slow (3 s) in parallel → final copy (0.5 s) → export."""
    return (
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("sha256:meta", "[internal] load metadata for docker.io/library/alpine:3", 0.1, 0.3)
        .step("sha256:from", "[base 1/2] FROM docker.io/library/alpine:3", 0.3, 0.4)
        .step("sha256:base", "[base 2/2] RUN apk add make", 0.4, 1.4, inputs=["sha256:from"])
        .step("sha256:fast", "[fast 1/1] RUN make fast", 1.4, 2.4, inputs=["sha256:base"])
        .step("sha256:slow", "[slow 1/1] RUN make slow", 1.4, 4.4, inputs=["sha256:base"])
        .log("sha256:slow", "compiling\nlinking\n", 3.0)
        .step(
            "sha256:copy",
            "[final 2/2] COPY --from=slow /out /out",
            4.4,
            4.9,
            inputs=["sha256:from", "sha256:slow"],
        )
        .step("sha256:export", "exporting to image", 5.0, 5.5)
    )
