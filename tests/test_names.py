from __future__ import annotations

import re

import pytest

from profiler import names
from profiler.names import StepKind, parse_name


@pytest.mark.parametrize(
    ("name", "kind", "target", "stage", "index", "count", "instruction", "text"),
    [
        ("[base 2/4] RUN apt-get install -y gcc", StepKind.STEP, None, "base", 2, 4, "RUN",
         "RUN apt-get install -y gcc"),
        ("[final  9/42] COPY --from=build /out /out", StepKind.STEP, None, "final", 9, 42, "COPY",
         "COPY --from=build /out /out"),
        ("[2/4] RUN make", StepKind.STEP, None, None, 2, 4, "RUN", "RUN make"),
        ("[api base 2/4] RUN npm ci", StepKind.STEP, "api", "base", 2, 4, "RUN", "RUN npm ci"),
        ("[stage-1 1/3] FROM docker.io/library/alpine:3", StepKind.STEP, None, "stage-1", 1, 3,
         "FROM", "FROM docker.io/library/alpine:3"),
        ("[internal] load build context", StepKind.INTERNAL, None, None, None, None, None,
         "load build context"),
        ("[api internal] load .dockerignore", StepKind.INTERNAL, "api", None, None, None, None,
         "load .dockerignore"),
        ("[auth] library/alpine:pull token for registry", StepKind.INTERNAL, None, None, None,
         None, None, "library/alpine:pull token for registry"),
        ("exporting to image", StepKind.EXPORTER, None, None, None, None, None,
         "exporting to image"),
        ("[api] exporting to image", StepKind.EXPORTER, "api", None, None, None, None,
         "exporting to image"),
        ("resolve image config for docker-image://docker.io/docker/dockerfile:1",
         StepKind.INTERNAL, None, None, None, None, None,
         "resolve image config for docker-image://docker.io/docker/dockerfile:1"),
        ("preparing build cache for export", StepKind.EXPORTER, None, None, None, None, None,
         "preparing build cache for export"),
    ],
)  # fmt: skip
def test_parse_name(
    name: str,
    kind: StepKind,
    target: str | None,
    stage: str | None,
    index: int | None,
    count: int | None,
    instruction: str | None,
    text: str,
) -> None:
    parsed = parse_name(name)
    assert (parsed.kind, parsed.target, parsed.stage) == (kind, target, stage)
    assert (parsed.index, parsed.count, parsed.instruction, parsed.text) == (
        index,
        count,
        instruction,
        text,
    )


def test_platform_is_not_taken_for_a_target() -> None:
    parsed = parse_name("[linux/arm64 build 3/5] RUN go build ./...")
    assert parsed.platform == "linux/arm64"
    assert parsed.target is None
    assert parsed.stage == "build"


def test_bake_target_with_platform() -> None:
    parsed = parse_name("[web linux/amd64/v3 deps 1/2] FROM node:22")
    assert (parsed.target, parsed.platform, parsed.stage) == ("web", "linux/amd64/v3", "deps")


def test_lower_case_instruction_is_normalised() -> None:
    assert parse_name("[a 1/1] run echo hi").instruction == "RUN"


def test_empty_and_odd_names_do_not_raise() -> None:
    assert parse_name("").kind is StepKind.INTERNAL
    assert parse_name("[]").kind is StepKind.INTERNAL
    assert parse_name("[unclosed 1/2 RUN x").kind is StepKind.INTERNAL


@pytest.mark.parametrize(
    "name",
    [
        "[stage-12  3/25] RUN make -j2",
        "[build 1/2] FROM docker.io/library/golang:1.22",
        "[build 1/2]RUN x",
        "[build 1/2]  \n copy a b",
        "[build 1/2] 123 not an instruction",
        "[build 1/2] RÜN x",
        "[build 1/2]",
        "[build 01/2] RUN_x",
        "[build 1/2] RUNé x",
        "[build 1/2] \tcopy\nmore lines",
        "[build 1/2] RUN",
        "[build\t1/2] RUN x",
        "[linux/amd64 build 1/2] RUN x",
        "[api build 1/2] RUN x",
        "[build 1/2 ] RUN x",
        "[ build 1/2] RUN x",
    ],
)
def test_the_common_step_name_parses_as_the_general_rules_do(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "[stage i/n] INSTR" has a shortcut; a name it takes must come out as the general
    # path (tokens, platform, target) makes it.
    quick = parse_name(name)
    monkeypatch.setattr(names, "_PLAIN_STAGE_STEP", re.compile(r"(?!)"))
    assert quick == parse_name(name)


@pytest.mark.parametrize(
    ("name", "target", "platform"),
    [
        # As a --platform linux/amd64,linux/386 build names its metadata loads
        # (sample_builds/multi-platform/cold.rawjson).
        ("[linux/386 internal] load metadata for docker.io/x:1", None, "linux/386"),
        ("[api linux/arm64/v8 internal] load metadata for docker.io/x:1", "api", "linux/arm64/v8"),
        ("[api internal] load .dockerignore", "api", None),
    ],
)
def test_an_internal_vertex_carries_its_platform_apart_from_its_target(
    name: str, target: str | None, platform: str | None
) -> None:
    parsed = parse_name(name)
    assert parsed.kind is StepKind.INTERNAL
    assert (parsed.target, parsed.platform) == (target, platform)
