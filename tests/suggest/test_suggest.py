"""Suggestions: what they find, what they predict, and the Dockerfile changes they write.

Real cases first: the builds in tests/integration/builds/suggest-*/recorded/ were
recorded on a real daemon by ``benchmarks/suggestions.py --record``, including the
build of kitprof's own rewrite, so the prediction is checked against a measurement
here too, offline. Then small exact streams for each kind of suggestion.
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest

from profiler.dockerfile import Dockerfile, parse_dockerfile, read_dockerfile
from profiler.model import Build
from profiler.names import StepKind
from profiler.render.suggestions import suggestion_dict
from profiler.sources import read_build
from profiler.suggest import Suggestion, SuggestOptions, suggest
from profiler.suggest.simulate import observed_wall_seconds
from tests.streams import Stream

ROOT = Path(__file__).parent.parent.parent
SAMPLES = ROOT / "sample_builds"
CASES = ROOT / "tests" / "integration" / "builds"
SPLIT = CASES / "suggest-split"
BUST = CASES / "suggest-cache-bust"
GOAL_RATIO, GOAL_SECONDS = 0.15, 0.5
JSON_KEYS = {
    "kind", "title", "detail", "estimated_saving_seconds", "estimated_wall_seconds",
    "steps", "dockerfile_lines", "diff",
}  # fmt: skip


def recorded(case: Path, name: str) -> Build:
    return read_build(case / "recorded" / f"{name}.rawjson")


def only(suggestions: tuple[Suggestion, ...], kind: str) -> Suggestion:
    found = [s for s in suggestions if s.kind == kind]
    assert len(found) == 1, [f"{s.kind}: {s.title}" for s in suggestions]
    return found[0]


def within_goal(predicted: float, measured: float) -> bool:
    error = abs(predicted - measured)
    return error <= GOAL_SECONDS or error <= GOAL_RATIO * measured


def build_of(stream: Stream) -> Build:
    return read_build(io.BytesIO(stream.one_line()))


def patched(dockerfile: Path, diff: str, tmp_path: Path) -> str:
    if shutil.which("patch") is None:
        pytest.skip("no patch(1)")
    shutil.copy(dockerfile, tmp_path / "Dockerfile")
    subprocess.run(
        ["patch", "-p1", "-d", str(tmp_path)], input=diff.encode(), check=True, capture_output=True
    )
    return (tmp_path / "Dockerfile").read_text()


# ---------------------------------------------------------------- real: split-stage


def test_split_stage_on_a_real_build_predicts_the_real_rebuild(tmp_path: Path) -> None:
    # GIVEN a cold build of one stage with three toolchain installs in a row
    build = recorded(SPLIT, "recorded")
    dockerfile = read_dockerfile(SPLIT / "Dockerfile")
    # WHEN kitprof suggests
    report = suggest(build, dockerfile)
    split = only(report.suggestions, "split-stage")
    # THEN it points at the three installs and predicts the build of its own rewrite
    assert split.dockerfile_lines == (7, 9, 11)
    assert len(split.steps) == 3
    measured = observed_wall_seconds(recorded(SPLIT, "suggested"))
    assert within_goal(split.estimated_wall_seconds, measured), (split, measured)
    assert split.estimated_saving_seconds > 0.4 * split.baseline_wall_seconds
    assert any("do not use the earlier ones' files" in a for a in split.assumptions)
    # AND its diff is the rewrite, which patch(1) applies
    assert split.diff is not None and split.rewritten is not None
    assert patched(SPLIT / "Dockerfile", split.diff, tmp_path) == split.rewritten


def test_the_split_rewrite_is_what_the_recorded_rebuild_ran() -> None:
    build = recorded(SPLIT, "recorded")
    split = only(suggest(build, read_dockerfile(SPLIT / "Dockerfile")).suggestions, "split-stage")
    assert split.rewritten is not None
    rewritten = parse_dockerfile(split.rewritten)
    labels = [s.label for s in rewritten.stages]
    assert labels == ["tools-base", "tools-go", "tools-node", "tools", "final"]
    tools = rewritten.stage("tools")
    assert tools is not None and tools.base_stage == 0
    copies = [i.text for i in tools.instructions if i.keyword == "COPY"]
    assert copies == [
        "COPY --from=tools-go /opt/go /opt/go",
        "COPY --from=tools-node /opt/node /opt/node",
    ]
    # Every step of the build made from the rewrite maps onto the rewrite.
    for step in recorded(SPLIT, "suggested"):
        if step.kind is StepKind.STEP:
            assert rewritten.find(step) is not None, step.name


def test_contending_cores_make_the_split_save_less() -> None:
    build = recorded(SPLIT, "recorded")
    dockerfile = read_dockerfile(SPLIT / "Dockerfile")
    free = only(suggest(build, dockerfile).suggestions, "split-stage")
    shared = only(
        suggest(build, dockerfile, options=SuggestOptions(cores=2)).suggestions, "split-stage"
    )
    assert shared.estimated_saving_seconds < free.estimated_saving_seconds - 0.5
    assert any("share 2 cores" in a for a in shared.assumptions)
    # On one core, three installs side by side save nothing: no suggestion.
    one = suggest(build, dockerfile, options=SuggestOptions(cores=1))
    assert not [s for s in one.suggestions if s.kind == "split-stage"]


def test_without_a_dockerfile_the_split_is_still_priced_but_has_no_lines() -> None:
    split = only(suggest(recorded(SPLIT, "recorded")).suggestions, "split-stage")
    assert split.dockerfile_lines == () and split.diff is None
    assert split.estimated_saving_seconds > 3


# ---------------------------------------------------------------- real: cache-bust


def test_cache_bust_on_a_real_rebuild_predicts_the_fixed_rebuild(tmp_path: Path) -> None:
    # GIVEN a rebuild after a source edit, where COPY . . re-ran the install
    edited, cold = recorded(BUST, "edited"), recorded(BUST, "cold")
    dockerfile = read_dockerfile(BUST / "Dockerfile")
    # WHEN kitprof suggests, knowing the previous run
    report = suggest(edited, dockerfile, previous=cold)
    bust = only(report.suggestions, "cache-bust")
    # THEN it names the COPY and the install, proposes the manifests first…
    assert bust.dockerfile_lines == (6, 7)
    assert "requirements.txt" in bust.title
    assert "ran in the previous run too" in bust.detail
    assert bust.scenario == "a rebuild after a source edit (this build)"
    assert bust.diff is not None and "+COPY requirements.txt ./" in bust.diff
    assert patched(BUST / "Dockerfile", bust.diff, tmp_path) == bust.rewritten
    # …and predicts the measured rebuild of the fixed Dockerfile after an edit
    measured = observed_wall_seconds(recorded(BUST, "suggested-edited"))
    assert within_goal(bust.estimated_wall_seconds, measured), (bust, measured)


def test_cache_bust_from_a_cold_build_simulates_the_rebuild_after_an_edit() -> None:
    cold = recorded(BUST, "cold")
    bust = only(suggest(cold, read_dockerfile(BUST / "Dockerfile")).suggestions, "cache-bust")
    assert bust.scenario == "a rebuild after a source edit (simulated)"
    assert "any edit to any file re-runs the install" in bust.detail
    measured = observed_wall_seconds(recorded(BUST, "suggested-edited"))
    assert within_goal(bust.estimated_wall_seconds, measured), (bust, measured)


def test_the_fixed_rebuild_has_its_install_cached() -> None:
    rebuilt = recorded(BUST, "suggested-edited")
    install = next(s for s in rebuilt if "installing $pkg" in s.parsed.text)
    assert install.cached
    assert not suggest(rebuilt).suggestions


def test_manifests_are_guessed_by_name_without_a_context(tmp_path: Path) -> None:
    text = "FROM node:20\nWORKDIR /app\nCOPY . .\nRUN npm ci && npm run build\n"
    (tmp_path / "Dockerfile").write_text(text)
    stream = (
        Stream()
        .step("def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("from", "[1/4] FROM docker.io/library/node:20", 0.1, 0.2)
        .step("wd", "[2/4] WORKDIR /app", 0.2, 0.25, inputs=["from"])
        .step("ctx", "[internal] load build context", 0.1, 0.2)
        .step("copy", "[3/4] COPY . .", 0.25, 0.5, inputs=["wd", "ctx"])
        .step("npm", "[4/4] RUN npm ci && npm run build", 0.5, 10.5, inputs=["copy"])
        .step("export", "exporting to image", 10.5, 11.0)
    )
    dockerfile = read_dockerfile(tmp_path / "Dockerfile")
    options = SuggestOptions(context=tmp_path / "no-such-context")
    bust = only(suggest(build_of(stream), dockerfile, options=options).suggestions, "cache-bust")
    assert "package.json" in bust.title
    # No context to look in: the files are taken from npm's conventions.
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "package-lock.json").write_text("{}")
    bust = only(suggest(build_of(stream), dockerfile).suggestions, "cache-bust")
    assert bust.diff is not None
    assert "+COPY package.json package-lock.json ./" in bust.diff


# ---------------------------------------------------------------- synthetic kinds

FINAL_DOCKERFILE = """\
FROM alpine AS slow
RUN make slow

FROM alpine AS final
COPY --from=slow /out /out
{run}
"""


def join_stream(run: str) -> Stream:
    return (
        Stream()
        .step("def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("meta", "[internal] load metadata for docker.io/library/alpine:latest", 0.1, 0.2)
        .step("from", "[slow 1/2] FROM docker.io/library/alpine:latest", 0.2, 0.3)
        .step("slow", "[slow 2/2] RUN make slow", 0.3, 3.3, inputs=["from"])
        .step("copy", "[final 2/3] COPY --from=slow /out /out", 3.3, 3.4, inputs=["from", "slow"])
        .step("run", f"[final 3/3] {run}", 3.4, 5.4, inputs=["copy"])
        .step("export", "exporting to image", 5.4, 5.5)
    )


def test_a_step_waiting_behind_a_late_copy_moves_above_it(tmp_path: Path) -> None:
    run = "RUN apk add --no-cache ca-certificates"
    path = tmp_path / "Dockerfile"
    path.write_text(FINAL_DOCKERFILE.format(run=run))
    report = suggest(build_of(join_stream(run)), read_dockerfile(path))
    join = only(report.suggestions, "serialized-join")
    assert join.estimated_saving_seconds == pytest.approx(2.0, abs=0.05)
    assert join.dockerfile_lines == (5, 6)
    assert (
        join.rewritten
        == FINAL_DOCKERFILE.format(run="")
        .replace("COPY --from=slow", f"{run}\nCOPY --from=slow")
        .rstrip("\n")
        + "\n"
    )


def test_a_step_that_reads_the_copied_files_stays_put(tmp_path: Path) -> None:
    run = "RUN ls /out && sleep 2"
    path = tmp_path / "Dockerfile"
    path.write_text(FINAL_DOCKERFILE.format(run=run))
    report = suggest(build_of(join_stream(run)), read_dockerfile(path))
    assert not [s for s in report.suggestions if s.kind == "serialized-join"]


def test_a_step_working_where_the_files_land_stays_put(tmp_path: Path) -> None:
    # "make" reads relative paths in /out, where the copy puts its files.
    run = "RUN make"
    text = FINAL_DOCKERFILE.format(run=f"WORKDIR /out\n{run}").replace(
        "COPY --from=slow /out /out", "COPY --from=slow /out /out/lib"
    )
    stream = join_stream(run)
    (tmp_path / "Dockerfile").write_text(text)
    names = {"copy": "[final 2/4] COPY --from=slow /out /out/lib", "run": "[final 4/4] RUN make"}
    for event in stream.events:
        if isinstance(event, dict):
            for vertex in event.get("vertexes", []):
                vertex["name"] = names.get(vertex["digest"], vertex["name"])
    report = suggest(build_of(stream), read_dockerfile(tmp_path / "Dockerfile"))
    assert report.notes == ()
    assert not [s for s in report.suggestions if s.kind == "serialized-join"]


def test_a_slow_base_image_resolution_is_priced() -> None:
    stream = (
        Stream()
        .step("def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("meta", "[internal] load metadata for docker.io/library/python:3.12", 0.1, 3.1)
        .step("from", "[1/2] FROM docker.io/library/python:3.12", 3.1, 3.2)
        .step("run", "[2/2] RUN python -V", 3.2, 4.2, inputs=["from"])
        .step("export", "exporting to image", 4.2, 4.3)
    )
    dockerfile = parse_dockerfile("FROM python:3.12\nRUN python -V\n")
    slow = only(suggest(build_of(stream), dockerfile).suggestions, "slow-base")
    assert slow.estimated_saving_seconds == pytest.approx(3.0, abs=0.05)
    assert slow.dockerfile_lines == (1,)
    assert "docker.io/library/python:3.12" in slow.title


def slow_context_stream() -> Stream:
    """``COPY . .`` waits 4 s for the build context (``FROM alpine``, ``COPY . .``)."""
    return (
        Stream()
        .step("def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("from", "[1/2] FROM docker.io/library/alpine:latest", 0.1, 0.2)
        .step("ctx", "[internal] load build context", 0.1, 4.1)
        .step("copy", "[2/2] COPY . .", 4.1, 4.3, inputs=["from", "ctx"])
        .step("export", "exporting to image", 4.3, 4.4)
    )


def test_a_slow_build_context_is_priced() -> None:
    context = only(suggest(build_of(slow_context_stream())).suggestions, "build-context")
    # The COPY still waits for its FROM (done at 0.2 s, the context load began at 0.1 s).
    assert context.estimated_saving_seconds == pytest.approx(3.9, abs=0.05)
    assert ".dockerignore" in context.detail


def test_work_the_target_does_not_consume_is_priced() -> None:
    stream = (
        Stream()
        .step("def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("from", "[final 1/2] FROM docker.io/library/alpine:latest", 0.1, 0.2)
        .step("side", "[docs 2/2] RUN make docs", 0.2, 3.2, inputs=["from"])
        .step("main", "[final 2/2] RUN make", 0.2, 1.2, inputs=["from"])
        .step("export", "exporting to image", 3.2, 3.3)
    )
    dockerfile = parse_dockerfile(
        "FROM alpine AS docs\nRUN make docs\nFROM alpine AS final\nRUN make\n"
    )
    unneeded = only(suggest(build_of(stream), dockerfile).suggestions, "unneeded-stage")
    assert "docs" in unneeded.title
    # The export no longer waits for docs: the build ends with final's RUN at 1.2 s.
    assert unneeded.estimated_saving_seconds == pytest.approx(2.1, abs=0.05)
    assert unneeded.dockerfile_lines == (2,)


def bust_stream(config_cached: bool) -> Stream:
    return (
        Stream()
        .step("def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("from", "[1/4] FROM docker.io/library/alpine:latest", 0.1, 0.2)
        .step("apk", "[2/4] RUN apk add make", 0.2, 0.2, inputs=["from"], cached=True)
        .step("ctx", "[internal] load build context", 0.1, 0.2)
        .step(
            "config", "[3/4] COPY config.json ./", 0.2, 0.2 if config_cached else 0.3,
            inputs=["apk", "ctx"], cached=config_cached,
        )
        .step(
            "make", "[4/4] RUN make", 0.2 if config_cached else 0.3, 0.2 if config_cached else 5.3,
            inputs=["config"], cached=config_cached,
        )
        .step("export", "exporting to image", 5.3, 5.4)
    )  # fmt: skip


def test_a_step_that_stopped_being_cached_is_explained_with_its_cost() -> None:
    build, previous = build_of(bust_stream(False)), build_of(bust_stream(True))
    bust = only(suggest(build, previous=previous).suggestions, "cache-bust")
    assert bust.title.startswith("COPY config.json ./ stopped being cached")
    assert bust.estimated_saving_seconds == pytest.approx(5.1, abs=0.05)
    assert "was cached; now it ran" in bust.detail
    assert "2 step(s) cached last time ran this time" in bust.detail


def test_a_cold_build_is_no_cache_bust() -> None:
    stream = (
        Stream()
        .step("from", "[1/3] FROM docker.io/library/alpine:latest", 0.1, 0.2)
        .step("wd", "[2/3] WORKDIR /x", 0.2, 0.2, inputs=["from"], cached=True)
        .step("make", "[3/3] RUN make", 0.2, 5.2, inputs=["wd"])
    )
    assert not suggest(build_of(stream)).suggestions


def test_system_packages_stay_in_the_stage_the_installs_split_from() -> None:
    names = [
        ("apt", "RUN apt-get update && apt-get install -y curl", 3.0),
        ("go", "RUN echo installing go && curl -o /usr/local/go.tgz https://x", 3.0),
        ("rust", "RUN echo installing rust && curl -o /usr/local/rust.tgz https://y", 3.0),
    ]
    stream = Stream().step("from", "[0 1/4] FROM docker.io/library/debian:12", 0.0, 0.1)
    previous, at = "from", 0.1
    for index, (digest, text, seconds) in enumerate(names, start=2):
        stream.step(digest, f"[stage-0 {index}/4] {text}", at, at + seconds, inputs=[previous])
        previous, at = digest, at + seconds
    stream.step("copy", "[stage-1 2/2] COPY --from=0 /usr/local /usr/local", at, at + 0.1,
                inputs=["from", previous])  # fmt: skip
    dockerfile = parse_dockerfile(
        "FROM debian:12\n"
        + "".join(f"{text}\n" for _, text, _ in names)
        + "FROM debian:12\nCOPY --from=0 /usr/local /usr/local\n"
    )
    split = only(suggest(build_of(stream), dockerfile).suggestions, "split-stage")
    assert split.dockerfile_lines == (3, 4)
    assert split.rewritten is not None
    rewritten = parse_dockerfile(split.rewritten)
    # The unnamed stage got a prefix stage and a side stage in front of it: the
    # final stage's numeric --from follows the stage it meant.
    assert [s.label for s in rewritten.stages] == [
        "stage-0-base",
        "stage-0-go",
        "stage-2",
        "stage-3",
    ]
    assert rewritten.stages[-1].instructions[0].text == "COPY --from=2 /usr/local /usr/local"
    assert "RUN apt-get update" in rewritten.source(rewritten.stages[0].instructions[0])


def test_an_incomplete_build_gets_no_suggestion() -> None:
    report = suggest(read_build(SAMPLES / "failing-test" / "failed.rawjson"))
    assert not report.complete and not report.suggestions
    assert "did not complete" in report.notes[0]


SAMPLE_STREAMS = sorted(
    s for s in SAMPLES.glob("*/*.rawjson") if (s.parent / "Dockerfile").is_file()
)


@pytest.mark.parametrize("stream", SAMPLE_STREAMS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_suggestions_on_every_sample_point_at_lines_and_serialize(stream: Path) -> None:
    dockerfile: Dockerfile = read_dockerfile(stream.parent / "Dockerfile")
    report = suggest(read_build(stream), dockerfile)
    savings = [s.estimated_saving_seconds for s in report.suggestions]
    assert savings == sorted(savings, reverse=True)
    for suggestion in report.suggestions:
        assert suggestion.dockerfile_lines, suggestion
        assert 0 < suggestion.estimated_wall_seconds < suggestion.baseline_wall_seconds
        data = suggestion_dict(suggestion)
        assert data.keys() >= JSON_KEYS
        json.dumps(data)
