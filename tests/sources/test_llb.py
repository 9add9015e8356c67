"""The provenance's LLB edges and layer sizes, on the records of ``sample_builds/*/modern``.

Facts read off the records by hand (``tar -xzf X.dockerbuild``, then the in-toto
blob's ``buildConfig`` and ``metadata[…buildkit@v1#metadata].layers``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from profiler.analysis.critical_path import dependency_graph
from profiler.model import Build
from profiler.names import StepKind
from profiler.sources import read_build, read_builds
from profiler.sources.llb import layer_sizes, llb_inputs

SAMPLES = Path(__file__).resolve().parents[2] / "sample_builds"
RECORDS = sorted(SAMPLES.glob("*/modern/*.dockerbuild"))


def exporter(build: Build) -> tuple[str, ...]:
    (step,) = [s for s in build if s.kind is StepKind.EXPORTER]
    return tuple(build.step(d).name for d in step.inputs)


@pytest.mark.parametrize("path", RECORDS, ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_llb_edges_are_the_inputs_the_rawjson_stream_gives(path: Path) -> None:
    stream = read_build(path.with_suffix(".rawjson"))
    for build in read_builds(path):
        assert build.record is not None
        edges = build.record.llb_inputs
        # a build that did not finish has no provenance: its record holds no LLB
        if path.name in ("failed.dockerbuild", "cancelled.dockerbuild"):
            assert not edges and build.record.summary()["edges"] == "stream"
            continue
        assert build.record.summary()["edges"] == "llb"
        # every vertex of the LLB: the same inputs as the stream says
        for digest, inputs in edges.items():
            step = stream.step(digest)
            if step.kind is not StepKind.EXPORTER:
                assert inputs == step.inputs, step.name
        # what is not in the LLB: BuildKit's own loads, the context and the exporter
        # (and in a compose session, the other services' copy of the shared base stage:
        # BuildKit reports the chain that ran for all of them in each service's record)
        outside = {
            s.name.split("] ")[-1]
            for s in build
            if s.digest not in edges
            and not (path.name == "compose.dockerbuild" and s.stage_key == "base")
        }
        outside = {n.replace("split.Dockerfile", "Dockerfile") for n in outside}
        assert outside <= {
            "load build definition from Dockerfile",
            "load .dockerignore",
            "load metadata for docker.io/kitprof/busybox:latest",
        }


def test_the_exporter_gets_the_builds_result_as_its_input() -> None:
    # The stream shows "exporting to image" without inputs: it is linked by time. The
    # LLB's last op (no kind, input: the final stage's last step) is what it exports.
    cold = SAMPLES / "parallel-stages" / "modern" / "cold"
    stream = read_build(cold.with_suffix(".rawjson"))
    record = read_build(cold.with_suffix(".dockerbuild"))
    (stream_exporter,) = [s for s in stream if s.kind is StepKind.EXPORTER]
    assert stream_exporter.inputs == ()
    assert exporter(record) == (
        '[final 5/5] RUN echo "smoke test" && sleep 0.7 && ls -R /app && echo "ok"',
    )
    secret = read_build(SAMPLES / "secret-mount" / "modern" / "secret.dockerbuild")
    assert exporter(secret) == (
        '[stage-1 3/3] RUN test ! -e /run/secrets/token && echo "no secret in the final image"'
        " && sleep 0.5",
    )
    api, web = sorted(
        read_builds(SAMPLES / "bake-two-targets" / "modern" / "bake.dockerbuild"),
        key=lambda b: b.name or "",
    )
    assert exporter(api) == ('[api api 2/2] RUN echo "api self-check" >&2 && sleep 0.5',)
    assert exporter(web) == ('[web web 2/2] RUN echo "web size report: 312 KiB" && sleep 0.8',)
    # the critical path's graph now follows the edge instead of guessing by time; on
    # these builds the guess was right, the edge says so without a clock
    graph = dependency_graph(record)
    assert graph[stream_exporter.digest] == record.step(stream_exporter.digest).inputs


def test_an_edge_through_an_op_the_stream_never_showed_joins_the_steps_around_it() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.rawjson")
    (export,) = [s for s in build if s.kind is StepKind.EXPORTER]
    last = next(s for s in build if s.name.startswith("[final 5/5]"))
    config = {
        "digestMapping": {last.digest: "step1", "sha256:unseen": "step2"},
        "llbDefinition": [
            {"id": "step1", "op": {"Op": {"exec": {}}}},
            {"id": "step2", "op": {"Op": {"exec": {}}}, "inputs": ["step1:0"]},
            {"id": "step3", "op": {"Op": {}}, "inputs": ["step2:0"]},
        ],
    }
    assert llb_inputs(config, build) == {last.digest: (), export.digest: (last.digest,)}
    assert llb_inputs({}, build) == {}


def test_layer_sizes_are_what_each_step_added_to_the_exported_chain() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "modern" / "cold.dockerbuild")
    assert build.record is not None
    by_name = {build.step(d).name.split(" ")[0] + " " + build.step(d).name.split(" ")[1]: size
               for d, size in build.record.layer_sizes.items()}  # fmt: skip
    # layers of step0 (FROM), step8/12/14/15 (the final stage) as the record lists them
    assert by_name == {
        "[base 1/4]": 1083591,
        "[final 2/5]": 188,
        "[final 3/5]": 193,
        "[final 4/5]": 158,
        "[final 5/5]": 29,
    }
    assert build.record.image_size == 1083591 + 188 + 193 + 158 + 29
    # a build stage's steps are not in the image: no size, rather than a guessed one
    assert not any(build.step(d).stage in ("backend", "frontend", "tools")
                   for d in build.record.layer_sizes)  # fmt: skip


def test_a_repeated_empty_layer_counts_for_each_step_that_added_it() -> None:
    api = next(
        b
        for b in read_builds(SAMPLES / "bake-two-targets" / "modern" / "bake.dockerbuild")
        if b.name == "api"
    )
    assert api.record is not None
    sizes = {api.step(d).name[:16]: size for d, size in api.record.layer_sizes.items()}
    # WORKDIR 92 B, COPY 150 B, three RUNs each an empty 29 B layer of the same digest
    assert sizes == {
        "[api base 1/4] F": 1083591,
        "[api base 2/4] W": 92,
        "[api base 3/4] C": 150,
        "[api base 4/4] R": 29,
        "[api api 1/2] RU": 29,
        "[api api 2/2] RU": 29,
    }
    assert api.record.image_size == sum(sizes.values())


def test_layer_sizes_without_an_ancestor_chain_are_left_out() -> None:
    config = {
        "digestMapping": {"sha256:a": "step0", "sha256:b": "step1", "sha256:c": "step2"},
        "llbDefinition": [
            {"id": "step0", "op": {"Op": {"source": {}}}},
            {"id": "step1", "op": {"Op": {"exec": {}}}, "inputs": ["step0:0"]},
            {"id": "step2", "op": {"Op": {"exec": {}}}, "inputs": ["step1:0"]},
            {"id": "step3", "op": {"Op": {}}, "inputs": ["step2:0"]},
        ],
    }
    layer = {"mediaType": "x", "digest": "sha256:1", "size": 10}
    metadata = {"layers": {"step2:0": [[layer, {**layer, "size": 5}]]}}
    # step2's ancestors have no recorded chain: what it added is not known
    assert layer_sizes(config, metadata) == ({}, 15)
    metadata["layers"]["step0:0"] = [[layer]]
    assert layer_sizes(config, metadata) == ({"sha256:a": 10, "sha256:c": 5}, 15)
    assert layer_sizes({}, {}) == ({}, None)


def test_every_step_of_a_one_stage_build_has_its_layer() -> None:
    # sample_builds/layer-sizes/modern/RECORDED.md, the table read off the records
    expected = {
        "cold": [1083591, 92, 743, 29, 201151, 29],
        "grown": [1083591, 92, 747, 29, 302125, 29],
    }
    for name, sizes in expected.items():
        build = read_build(SAMPLES / "layer-sizes" / "modern" / f"{name}.dockerbuild")
        assert build.record is not None
        steps = sorted((s for s in build if s.parsed.index), key=lambda s: s.parsed.index or 0)
        assert [build.record.layer_sizes.get(s.digest) for s in steps] == sizes
        assert build.record.image_size == sum(sizes)
