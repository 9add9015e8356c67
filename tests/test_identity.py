"""Which build a run belongs to: named from its context, Dockerfile and target."""

from __future__ import annotations

from pathlib import Path

import pytest

from profiler.identity import UNNAMED, build_identity, command_flags
from profiler.sources import read_build

SAMPLES = Path(__file__).resolve().parents[1] / "sample_builds"


@pytest.mark.parametrize(
    ("command", "context", "expected"),
    [
        ("docker buildx build -t shop:1 .", "/src/shop", "shop"),
        ("docker build --target api /src/shop", "/src/shop", "shop:api"),
        ("docker build --target=api .", "/src/shop/", "shop:api"),
        ("docker build -f ci.Dockerfile --target test .", "/src/shop", "shop/ci.Dockerfile:test"),
        ("docker build -f sub/Dockerfile .", "/src/shop", "shop"),  # the default file name
        ("docker buildx build https://example.invalid/repo.git", None, UNNAMED),
    ],
)  # fmt: skip
def test_a_name_from_the_command_and_context(
    command: str, context: str | None, expected: str
) -> None:
    assert build_identity(None, command=command, context=context) == expected


def test_bake_targets_come_from_the_command_or_the_stream() -> None:
    assert command_flags("docker buildx bake -f docker-bake.hcl web api") == {"target": "api+web"}
    bake = read_build(SAMPLES / "bake-two-targets" / "bake.rawjson")
    # No command: the targets the stream names; the stream file's folder as project.
    source = "ci-artifacts/shop/bake.rawjson"
    assert build_identity(bake, source=source) == "shop:api+web"


def test_runs_of_one_dockerfile_share_a_name_whatever_happened() -> None:
    cold = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    cached = read_build(SAMPLES / "parallel-stages" / "cached.rawjson")
    names = {
        build_identity(build, command="docker build .", context="/home/me/parallel-stages")
        for build in (cold, cached)
    }
    assert names == {"parallel-stages"}


def test_the_ci_job_names_a_run_without_a_context_and_an_override_wins() -> None:
    assert build_identity(None, ci_job="build-api", source="out/x.rawjson") == "build-api"
    assert build_identity(None, context="/src/shop", override="  shop (arm64) ") == "shop (arm64)"


def test_a_stream_alone_is_named_by_its_folder_and_final_stage() -> None:
    # BuildKit announces the whole graph first: a failed or fully cached run names
    # the same final stage as a cold one.
    for sample, streams, final in (
        ("parallel-stages", ("cold", "cached"), "final"),
        ("one-line-layout", ("cold", "failed"), "final"),
        ("cancelled", ("cancelled", "killed"), "stage-3"),
        ("many-stages", ("cold",), "stage-14"),
    ):
        names = {
            build_identity(
                read_build(SAMPLES / sample / f"{stream}.rawjson"),
                source=f"runs/{sample}/{stream}.rawjson",
            )
            for stream in streams
        }
        assert names == {f"{sample}:{final}"}


def test_each_service_of_a_compose_session_is_named_after_itself() -> None:
    # The vertices services share are printed under another service's name first.
    from profiler.sources import read_builds

    stream = SAMPLES / "compose-services" / "modern" / "compose.rawjson"
    names = [
        build_identity(build, command="docker compose -f compose.yaml build", context="/src/shop")
        for build in read_builds(stream, per_target=True)
    ]
    assert names == ["shop:api", "shop:web", "shop:worker"]
    session = read_build(stream)
    assert build_identity(session, command="docker compose build", context="/src/shop") == (
        "shop:api+web+worker"
    )
