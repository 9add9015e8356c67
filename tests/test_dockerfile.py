"""The Dockerfile parser: BuildKit's step numbering, step → line mapping, rewrites."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from profiler.dockerfile import (
    DockerfileError,
    Edit,
    apply_edits,
    copy_spec,
    mentions_path,
    minimal_cover,
    normalize_image,
    parse_dockerfile,
    read_dockerfile,
    unified_diff,
    written_paths,
)
from profiler.errors import InputError
from profiler.names import StepKind
from profiler.sources import read_build

SAMPLES = Path(__file__).parent.parent / "sample_builds"
SUGGEST_BUILDS = Path(__file__).parent / "integration" / "builds"
# Every real stream built from a Dockerfile kept beside it (not kitprof's rewrites of it).
RECORDED = sorted(
    stream
    for stream in [
        *SAMPLES.glob("*/*.rawjson"),
        *SUGGEST_BUILDS.glob("suggest-*/recorded/*.rawjson"),
    ]
    if "suggested" not in stream.name
    and (
        (stream.parent / "Dockerfile").is_file() or (stream.parent.parent / "Dockerfile").is_file()
    )
)


def dockerfile_for(stream: Path) -> Path:
    here = stream.parent / "Dockerfile"
    return here if here.is_file() else stream.parent.parent / "Dockerfile"


@pytest.mark.parametrize("stream", RECORDED, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_every_recorded_step_maps_to_its_instruction(stream: Path) -> None:
    # GIVEN a real recorded build and the Dockerfile it was built from
    build = read_build(stream)
    dockerfile = read_dockerfile(dockerfile_for(stream))
    # WHEN each step is located
    for step in build:
        if step.kind is not StepKind.STEP:
            continue
        instruction = dockerfile.find(step)
        # THEN it maps, and BuildKit's text is the instruction's (continuations joined)
        assert instruction is not None, step.name
        if instruction.keyword != "FROM":
            assert expanded_match(instruction.text, step.parsed.text)
            assert dockerfile.locate(step) is instruction


_VARIABLE = re.compile(r"\\\$(?:\\\{)?([A-Za-z_][A-Za-z0-9_]*)(?:\\\})?")


def expanded_match(template: str, text: str) -> bool:
    """``text`` is ``template`` with its ``$VAR``/``${VAR}`` references kept or expanded:
    today's BuildKit prints a step with the build args it knows expanded (``RUN case
    "386" in …`` for ``RUN case "$TARGETARCH" in …``), the older one as written."""
    pattern = _VARIABLE.sub(lambda m: r"(?:\$\{?" + m.group(1) + r"\}?|\S*)", re.escape(template))
    return re.fullmatch(pattern, text) is not None


def test_expanded_match_allows_expanded_build_args_only() -> None:
    template = 'RUN case "$TARGETARCH" in 386) x ;; esac && echo ${NONCE} $(uname -m)'
    assert expanded_match(template, template)
    assert expanded_match(template, 'RUN case "386" in 386) x ;; esac && echo abc $(uname -m)')
    assert not expanded_match(template, 'RUN case "386" in 386) y ;; esac && echo abc $(uname -m)')


def test_buildkit_counts_from_image_add_copy_run_and_workdir_only() -> None:
    dockerfile = parse_dockerfile(
        "ARG BASE=alpine:3\n"
        "FROM ${BASE} AS Base\n"
        "ENV A=1\n"
        "LABEL x=y\n"
        "WORKDIR /src\n"
        "ARG V\n"
        "COPY a b\n"
        "EXPOSE 80\n"
        "RUN make\n"
        'CMD ["x"]\n'
        "FROM base AS child\n"
        "RUN test\n"
        "FROM scratch\n"
        "COPY --from=child /x /x\n"
    )
    base, child, last = dockerfile.stages
    assert (base.name, base.label, base.base, base.step_count) == ("base", "base", "alpine:3", 4)
    assert [(i.keyword, i.step) for i in base.steps] == [
        ("FROM", 1), ("WORKDIR", 2), ("COPY", 3), ("RUN", 4),
    ]  # fmt: skip
    # FROM an earlier stage is not a step of its own.
    assert (child.base_stage, child.step_count, child.steps[0].step) == (0, 1, 1)
    # FROM scratch is not a vertex either; unnamed stages are stage-N.
    assert (last.label, last.step_count, last.from_instruction.step) == ("stage-2", 1, None)
    assert dockerfile.instruction_at("child", 1) is child.steps[0]
    assert dockerfile.global_args[0].arguments == "BASE=alpine:3"


def test_continuations_comments_and_escape_directive() -> None:
    text = (
        "# escape=`\n"
        "# syntax=docker/dockerfile:1\n"
        "FROM alpine\n"
        "RUN echo one `\n"
        "# a comment inside the continuation\n"
        "\n"
        "    && echo two\n"
        "RUN echo back\\slash\n"
    )
    dockerfile = parse_dockerfile(text)
    assert dockerfile.escape == "`"
    assert dockerfile.directives["syntax"] == "docker/dockerfile:1"
    first, second = dockerfile.stages[0].instructions
    assert first.arguments == "echo one     && echo two"
    assert (first.start_line, first.end_line) == (4, 7)
    assert second.arguments == "echo back\\slash"
    assert dockerfile.source(first).startswith("RUN echo one `\n# a comment")


def test_a_directive_after_an_instruction_is_a_comment() -> None:
    dockerfile = parse_dockerfile("FROM alpine\n# escape=`\nRUN a \\\n b\n")
    assert dockerfile.escape == "\\"
    assert dockerfile.stages[0].instructions[0].arguments == "a  b"


def test_heredocs_belong_to_their_instruction() -> None:
    text = (
        "FROM alpine\n"
        "RUN <<EOF\n"
        "apk add curl\n"
        "FROM not-an-instruction\n"
        "EOF\n"
        "COPY <<-END /etc/x.conf\n"
        "\tkey = value\n"
        "\tEND\n"
        "RUN <<A cat /dev/stdin <<B\n"
        "a\n"
        "A\n"
        "b\n"
        "B\n"
        "WORKDIR /app\n"
    )
    stage = parse_dockerfile(text).stages[0]
    run, copy, two, workdir = stage.instructions
    assert (run.start_line, run.end_line) == (2, 5)
    assert run.heredocs[0].body == "apk add curl\nFROM not-an-instruction\n"
    assert copy.heredocs[0].strip_tabs and copy.end_line == 8
    assert [h.name for h in two.heredocs] == ["A", "B"]
    assert (workdir.start_line, workdir.step) == (14, 5)
    assert len(parse_dockerfile(text).stages) == 1


def test_parse_errors_are_kitprof_errors(tmp_path: Path) -> None:
    with pytest.raises(DockerfileError, match="no FROM"):
        parse_dockerfile("# just a comment\nRUN x\n")
    with pytest.raises(DockerfileError, match="never closed"):
        parse_dockerfile("FROM a\nRUN <<EOF\necho\n")
    with pytest.raises(DockerfileError, match="escape"):
        parse_dockerfile("# escape=x\nFROM a\n")
    with pytest.raises(InputError, match="cannot read"):
        read_dockerfile(tmp_path / "missing")


def test_single_stage_files_name_no_stage_unless_they_copy_from_an_image() -> None:
    assert parse_dockerfile("FROM a\nRUN x\n").single_stage
    assert not parse_dockerfile("FROM a\nCOPY --from=b:1 /x /x\n").single_stage
    assert not parse_dockerfile("FROM a AS one\nFROM one\n").single_stage


def test_locate_rejects_steps_of_another_dockerfile_and_find_falls_back_on_text() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    step = next(s for s in build if s.name.startswith("[backend 2/3]"))
    # One more step in the backend stage: the count no longer matches.
    original = (SAMPLES / "parallel-stages" / "Dockerfile").read_text()
    edited = original.replace("COPY backend/ ./backend/\n", "COPY backend/ ./backend/\nRUN true\n")
    dockerfile = parse_dockerfile(edited)
    assert dockerfile.locate(step) is None
    found = dockerfile.find(step)
    assert found is not None and found.text == step.parsed.text and found.step == 3


def test_a_shared_from_vertex_maps_by_image() -> None:
    build = read_build(SAMPLES / "parallel-stages" / "cold.rawjson")
    dockerfile = read_dockerfile(SAMPLES / "parallel-stages" / "Dockerfile")
    from_step = next(s for s in build if s.parsed.instruction == "FROM")
    found = dockerfile.find(from_step)
    assert found is not None and found.keyword == "FROM"
    assert normalize_image("docker.io/library/alpine") == normalize_image("alpine:latest")


def test_reachable_stages_follow_from_and_copy_from() -> None:
    dockerfile = read_dockerfile(SAMPLES / "many-stages" / "Dockerfile")
    reachable = {stage.label for stage in dockerfile.reachable()}
    assert "unused" not in reachable
    assert {"stage-0", "base", "lib-e", "stage-7", "stage-10", "stage-14"} <= reachable
    assert {s.label for s in dockerfile.reachable("lib-e")} == {"base", "lib-a", "lib-d", "lib-e"}
    assert dockerfile.resolve_reference("7") is dockerfile.stages[7]


def test_workdir_is_tracked_through_stages() -> None:
    dockerfile = parse_dockerfile(
        "FROM a AS one\nWORKDIR /src\nWORKDIR app\nRUN x\nFROM one\nRUN y\nWORKDIR ..\nRUN z\n"
    )
    one, two = dockerfile.stages
    assert one.instructions[-1].workdir == "/src/app"
    assert [i.workdir for i in two.instructions] == ["/src/app", "/src", "/src"]


@pytest.mark.parametrize(
    ("command", "workdir", "expected"),
    [
        ("mkdir -p /opt/go && echo 1 > /opt/go/VERSION", "/", ["/opt/go"]),
        ("curl -o /usr/local/bin/tool https://x/tool && chmod +x /usr/local/bin/tool", "/",
         ["/usr/local/bin/tool"]),
        ("tar -xzf go.tgz -C /usr/local && rm go.tgz", "/", ["/usr/local"]),
        ("make && make install DESTDIR=/out PREFIX=/usr", "/", ["/out", "/usr"]),
        ("echo hi >&2 2>/dev/null; touch build.stamp", "/src", ["/src/build.stamp"]),
        ("git clone https://x/y.git /opt/y", "/", ["/opt/y"]),
        ("for i in 1 2; do echo $i > /tmp/x; done", "/", []),
        ("mkdir -p /opt/$NAME/bin", "/", []),
        ("cp a b /srv/dest/", "/", ["/srv/dest"]),
    ],
)  # fmt: skip
def test_written_paths_reads_what_a_command_writes(
    command: str, workdir: str, expected: list[str]
) -> None:
    assert written_paths(command, workdir) == expected


def test_copy_spec_and_path_helpers() -> None:
    spec = copy_spec("COPY --chown=1:1 --from=build /out/ a b /app/")
    assert spec is not None
    assert (spec.flag("from"), spec.sources, spec.destination) == (
        "build",
        ("/out/", "a", "b"),
        "/app/",
    )
    assert not spec.whole_context
    whole = copy_spec("ADD . /app")
    assert whole is not None and whole.whole_context
    assert copy_spec('COPY ["a b", "/c"]') is not None
    assert copy_spec("RUN x") is None
    assert minimal_cover(["/opt/go/bin", "/opt/go", "/opt/goat", "/opt/go"]) == [
        "/opt/go",
        "/opt/goat",
    ]
    assert mentions_path("ls -R /app", "/app/www")
    assert mentions_path("cat /app/www/index.html", "/app/www")
    assert not mentions_path("apk add curl", "/app/www")


def test_edits_make_a_diff_that_patch_applies(tmp_path: Path) -> None:
    dockerfile = parse_dockerfile("FROM a\nRUN one\nRUN two\n")
    new_text = apply_edits(dockerfile, [Edit(3, 3, ""), Edit(2, 1, "RUN two\n")])
    assert new_text == "FROM a\nRUN two\nRUN one\n"
    diff = unified_diff(dockerfile, new_text)
    assert diff.startswith("--- a/Dockerfile\n+++ b/Dockerfile\n")
    with pytest.raises(ValueError, match="overlapping"):
        apply_edits(dockerfile, [Edit(2, 3, ""), Edit(3, 3, "")])
    if shutil.which("patch") is None:
        pytest.skip("no patch(1)")
    target = tmp_path / "Dockerfile"
    target.write_text(dockerfile.text)
    subprocess.run(["patch", "-p1", "-d", str(tmp_path)], input=diff.encode(), check=True,
                   capture_output=True)  # fmt: skip
    assert target.read_text() == new_text
