"""Dockerfile rewriting on its own: the exact text each rewrite writes, and its refusals."""

from __future__ import annotations

from profiler.dockerfile import copy_spec, parse_dockerfile
from profiler.suggest.rewrite import manifests_first, move_above, split_stage

TOOLS = """\
FROM alpine AS tools
# go toolchain
RUN echo installing go && curl -o /opt/go.tgz https://x.invalid/go
ENV A=1
RUN echo installing rust && curl -o /opt/rust.tgz https://x.invalid/rust

FROM alpine
COPY --from=0 /opt /opt
"""


def test_a_split_runs_the_first_install_in_a_stage_of_its_own_and_renumbers_from() -> None:
    dockerfile = parse_dockerfile(TOOLS)
    go, _, rust = dockerfile.stages[0].instructions
    plan = split_stage(dockerfile, [[go], [rust]])
    assert plan is not None
    # The ENV after the go install stays with the rust one; "--from=0" meant tools,
    # which is stage 1 now.
    assert plan.text == (
        "FROM alpine AS tools-go\n"
        "# go toolchain\n"
        "RUN echo installing go && curl -o /opt/go.tgz https://x.invalid/go\n"
        "\n"
        "FROM alpine AS tools\n"
        "ENV A=1\n"
        "RUN echo installing rust && curl -o /opt/rust.tgz https://x.invalid/rust\n"
        "COPY --from=tools-go /opt/go.tgz /opt/go.tgz\n"
        "\n"
        "FROM alpine\n"
        "COPY --from=1 /opt /opt\n"
    )
    assert plan.joins_per_branch == [1]
    assert plan.guessed == ["tools-go: /opt/go.tgz"]
    assert plan.summary == "New stages tools-go run beside stage tools."


def test_a_split_with_steps_before_it_starts_from_a_base_stage_of_them() -> None:
    text = TOOLS.replace("# go toolchain\n", "RUN apk add curl\n")
    dockerfile = parse_dockerfile(text)
    _, go, _, rust = dockerfile.stages[0].instructions
    plan = split_stage(dockerfile, [[go], [rust]])
    assert plan is not None
    stages = parse_dockerfile(plan.text).stages
    assert [s.label for s in stages] == ["tools-base", "tools-go", "tools", "stage-3"]
    assert [s.base for s in stages] == ["alpine", "tools-base", "tools-base", "alpine"]
    assert stages[-1].instructions[0].text == "COPY --from=2 /opt /opt"


def test_no_split_across_stages_or_over_a_workdir() -> None:
    dockerfile = parse_dockerfile(TOOLS)
    go = dockerfile.stages[0].instructions[0]
    copy = dockerfile.stages[1].instructions[0]
    assert split_stage(dockerfile, [[go], [copy]]) is None
    over_workdir = parse_dockerfile(TOOLS.replace("ENV A=1", "WORKDIR /src"))
    go, _, rust = over_workdir.stages[0].instructions
    assert split_stage(over_workdir, [[go], [rust]]) is None


NODE = """\
FROM node:20
WORKDIR /app
COPY --chown=node --from=ctx . .
ENV CI=1
RUN npm ci
"""


def test_manifests_are_copied_first_with_the_copys_ownership_flags() -> None:
    dockerfile = parse_dockerfile(NODE)
    _, copy, _, install = dockerfile.stages[0].instructions
    spec = copy_spec(copy.text)
    assert spec is not None
    rewritten = manifests_first(dockerfile, copy, install, spec, ["package.json", "web/x.lock"])
    assert rewritten == (
        "FROM node:20\n"
        "WORKDIR /app\n"
        "COPY --chown=node package.json ./\n"
        "COPY --chown=node web/x.lock web/\n"
        "ENV CI=1\n"
        "RUN npm ci\n"
        "COPY --chown=node --from=ctx . .\n"
    )


def test_manifests_first_refuses_to_move_a_step_or_a_user_change() -> None:
    for between in ("RUN echo hello", "USER node"):
        dockerfile = parse_dockerfile(NODE.replace("ENV CI=1", between))
        _, copy, _, install = dockerfile.stages[0].instructions
        spec = copy_spec(copy.text)
        assert spec is not None
        assert manifests_first(dockerfile, copy, install, spec, ["package.json"]) is None


def test_a_step_moves_above_a_copy_with_its_comment() -> None:
    text = (
        "FROM alpine AS slow\nRUN make slow\n\n"
        "FROM alpine AS final\nCOPY --from=slow /out /out\n# certificates\nRUN apk add ca\n"
    )
    dockerfile = parse_dockerfile(text)
    copy, run = dockerfile.stages[1].instructions
    assert move_above(dockerfile, run, copy) == (
        "FROM alpine AS slow\nRUN make slow\n\n"
        "FROM alpine AS final\n# certificates\nRUN apk add ca\nCOPY --from=slow /out /out\n"
    )
