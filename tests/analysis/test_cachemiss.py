"""Why the cache missed: the first step of each chain, its cause, and what it cost.

The builds are exact streams shaped like BuildKit's (a FROM pinned by digest, steps
chained by their inputs, COPY reading the context vertex); the Dockerfiles and
manifests are the ones those builds would have had.
"""

from __future__ import annotations

import io

import pytest

from profiler.analysis.cachemiss import RunSide, explain_cache_misses
from profiler.context_manifest import ContextManifest, ManifestSource
from profiler.dockerfile import parse_dockerfile
from profiler.model import Build
from profiler.sources import read_build
from tests.streams import Stream

DOCKERFILE = """\
FROM alpine:3
ARG MODE=fast
ENV LANG=C
WORKDIR /src/${MODE}
COPY app/ ./app/
RUN make
COPY conf/ ./conf/
RUN make install
"""


def build(cached: set[int], **options: object) -> Build:
    """The build of DOCKERFILE; steps numbered in ``cached`` were cache hits."""
    return read_build(io.BytesIO(stream(cached, **options).one_line()))  # type: ignore[arg-type]


def stream(
    cached: set[int],
    *,
    mode: str = "fast",
    image: str = "sha256:aaa",
    times: dict[int, float] | None = None,
    tag: str = "",
    install: str = "make install",
) -> Stream:
    """The stream of a build of DOCKERFILE."""
    times = times or {}
    names = {
        2: f"WORKDIR /src/{mode}",
        3: "COPY app/ ./app/",
        4: "RUN make",
        5: "COPY conf/ ./conf/",
        6: f"RUN {install}",
    }
    events = (
        Stream()
        .step("sha256:def", "[internal] load build definition from Dockerfile", 0.0, 0.1)
        .step("sha256:meta", "[internal] load metadata for docker.io/library/alpine:3", 0.1, 0.2)
        .step(f"from{image}", f"[1/6] FROM docker.io/library/alpine:3@{image}", 0.2, 0.3)
        .step(f"ctx{tag}", "[internal] load build context", 0.2, 0.3)
    )
    clock = 0.3
    previous = f"from{image}"
    for index, text in names.items():
        seconds = 0.0 if index in cached else times.get(index, float(index))
        inputs = [previous] + ([f"ctx{tag}"] if text.startswith("COPY") else [])
        digest = f"s{index}-{mode}-{image}{tag}"
        events.step(
            digest, f"[{index}/6] {text}", clock, clock + seconds, inputs=inputs,
            cached=index in cached,
        )  # fmt: skip
        clock += seconds
        previous = digest
    return events.step("sha256:export", "exporting to image", clock, clock + 0.1)


def manifest(files: dict[str, str]) -> ContextManifest:
    return ContextManifest(
        files={path: {"sha256": digest, "mode": "0644"} for path, digest in files.items()},
        sources=(
            ManifestSource("stage-0", 5, "COPY app/ ./app/", ("app/",)),
            ManifestSource("stage-0", 7, "COPY conf/ ./conf/", ("conf/",)),
        ),
    )


ALL = {2, 3, 4, 5, 6}
FILES = {"app/main.c": "1", "app/util.c": "2", "conf/app.ini": "3", "docs/x.md": "4"}


def side(
    b: Build,
    files: dict[str, str] | None = None,
    text: str = DOCKERFILE,
    *,
    build_args: dict[str, str] | None = None,
    no_cache: bool = False,
) -> RunSide:
    return RunSide(
        build=b,
        dockerfile=parse_dockerfile(text),
        manifest=manifest(files) if files is not None else None,
        build_args=build_args or {},
        no_cache=no_cache,
    )


def test_a_changed_file_names_the_copy_the_file_and_the_cost_of_the_chain() -> None:
    a = side(build(ALL), FILES)
    b = side(build({2}, tag="b"), {**FILES, "app/util.c": "changed", "docs/x.md": "also"})
    result = explain_cache_misses(a, b)
    [miss] = result.misses
    assert (miss.line, miss.instruction, miss.name_b) == (5, "COPY", "[3/6] COPY app/ ./app/")
    [cause] = miss.causes
    assert cause.kind == "context"
    assert [(f.path, f.change) for f in cause.files] == [("app/util.c", "modified")]
    assert [r.name for r in miss.reruns] == [
        "[3/6] COPY app/ ./app/", "[4/6] RUN make", "[5/6] COPY conf/ ./conf/",
        "[6/6] RUN make install",
    ]  # fmt: skip
    assert miss.cost_seconds == 3.0 + 4.0 + 5.0 + 6.0
    assert result.total_seconds == miss.cost_seconds
    assert result.files_from == "manifest"


def test_added_and_removed_files_count_and_git_paths_serve_without_manifests() -> None:
    a = side(build(ALL))
    b = side(build({2}, tag="b"))
    [miss] = explain_cache_misses(a, b, ["app/new.c", "README.md", "conf/app.ini"]).misses
    [cause] = miss.causes
    assert cause.files_from == "git"
    assert [f.path for f in cause.files] == ["app/new.c"]
    [without] = explain_cache_misses(a, b).misses
    assert without.causes[0].kind == "context" and without.causes[0].files == ()


def test_an_expanded_build_arg_still_matches_the_step_by_its_line() -> None:
    a = side(build(ALL))
    b = side(build(set(), mode="slow"), build_args={"MODE": "slow"})
    [miss] = explain_cache_misses(a, b).misses
    assert miss.line == 4
    assert (miss.name_a, miss.name_b) == ("[2/6] WORKDIR /src/fast", "[2/6] WORKDIR /src/slow")
    [cause] = miss.causes
    assert (cause.kind, cause.name, cause.old, cause.new) == ("build-arg", "MODE", "fast", "slow")
    assert miss.cost_seconds == 2.0 + 3.0 + 4.0 + 5.0 + 6.0


def test_a_run_sees_a_changed_build_arg_declared_above_it() -> None:
    text = DOCKERFILE.replace("RUN make\n", "ARG JOBS=1\nRUN make\n")
    a = side(build(ALL), text=text)
    b = side(build({2, 3}, tag="b"), text=text, build_args={"JOBS": "8"})
    [miss] = explain_cache_misses(a, b).misses
    assert miss.name_b == "[4/6] RUN make"
    assert [(c.kind, c.name, c.old, c.new) for c in miss.causes] == [
        ("build-arg", "JOBS", "1", "8")
    ]


def test_a_changed_command_and_a_changed_setting_show_old_and_new() -> None:
    edited = DOCKERFILE.replace("ENV LANG=C", "ENV LANG=C.UTF-8")
    stripped = DOCKERFILE.replace("RUN make install", "RUN make install-strip")
    a = side(build(ALL, install="make install-strip"), text=stripped)
    b = side(build({2, 3, 4, 5}, tag="b"), text=DOCKERFILE)
    [miss] = explain_cache_misses(a, b).misses
    assert [(c.kind, c.old, c.new) for c in miss.causes] == [
        ("command", "RUN make install-strip", "RUN make install")
    ]
    a = side(build(ALL), text=edited)
    b = side(build({2, 3}, tag="b"), text=DOCKERFILE)
    [miss] = explain_cache_misses(a, b).misses
    assert miss.name_b == "[4/6] RUN make"
    assert [(c.kind, c.old, c.new) for c in miss.causes] == [
        ("env", "ENV LANG=C.UTF-8", "ENV LANG=C")
    ]


def test_a_new_base_image_digest_is_named_with_both_digests() -> None:
    a = side(build(ALL))
    b = side(build(set(), image="sha256:bbb"))
    [miss] = explain_cache_misses(a, b).misses
    assert miss.name_b == "[2/6] WORKDIR /src/fast"
    [cause] = miss.causes
    assert cause.kind == "base-image"
    assert cause.old == "docker.io/library/alpine:3@sha256:aaa"
    assert cause.new == "docker.io/library/alpine:3@sha256:bbb"


def test_no_cache_and_a_vanished_cache_entry_are_told_apart() -> None:
    a = side(build(ALL))
    b = side(build(set()), no_cache=True)
    assert explain_cache_misses(a, b).misses[0].causes[0].kind == "no-cache"
    b = side(build(set()))
    [miss] = explain_cache_misses(a, b).misses
    assert [c.kind for c in miss.causes] == ["cache-gone"]


def test_nothing_missed_when_b_is_as_cached_as_a() -> None:
    assert explain_cache_misses(side(build(ALL)), side(build(ALL))).misses == ()
    # a cold A has no cache hits to lose
    assert explain_cache_misses(side(build(set())), side(build({2}, tag="b"))).misses == ()


def test_without_dockerfiles_steps_match_by_stage_position() -> None:
    a = RunSide(build(ALL))
    b = RunSide(build(set(), mode="slow"), build_args={"MODE": "slow"})
    [miss] = explain_cache_misses(a, b).misses
    assert miss.line is None
    assert miss.causes[0].kind == "command"
    assert (miss.causes[0].old, miss.causes[0].new) == ("WORKDIR /src/fast", "WORKDIR /src/slow")


def two_chains(cached: bool, tag: str) -> Build:
    """Stages a and b each COPY from the context; final copies from both."""
    s = Stream().step("from", "[a 1/3] FROM docker.io/library/alpine:3@sha256:aaa", 0, 0.1)
    s.step(f"ctx{tag}", "[internal] load build context", 0, 0.1)
    plan = [
        ("a2", "[a 2/3] COPY a/ /a", ["from", f"ctx{tag}"], 1.0),
        ("a3", "[a 3/3] RUN make a", ["a2"], 2.0),
        ("b2", "[b 2/3] COPY b/ /b", ["from", f"ctx{tag}"], 3.0),
        ("b3", "[b 3/3] RUN make b", ["b2"], 4.0),
        ("f2", "[final 2/3] COPY --from=a /a /a", ["from", "a3"], 5.0),
        ("f3", "[final 3/3] COPY --from=b /b /b", ["f2", "b3"], 6.0),
    ]
    clock = 0.1
    for digest, name, inputs, seconds in plan:
        spent = 0.0 if cached else seconds
        s.step(digest + tag, name, clock, clock + spent, inputs=[i + tag if i[0] in "abf"
               and i != "from" else i for i in inputs], cached=cached)  # fmt: skip
        clock += spent
    return read_build(io.BytesIO(s.one_line()))


def test_each_chain_has_its_own_first_step_and_shared_steps_count_once_in_the_total() -> None:
    files = {"a/x": "1", "b/y": "2"}
    a = RunSide(two_chains(cached=True, tag=""), manifest=manifest(files))
    b = RunSide(two_chains(cached=False, tag="n"), manifest=manifest({"a/x": "3", "b/y": "4"}))
    result = explain_cache_misses(a, b)
    by_step = {miss.name_b: miss for miss in result.misses}
    assert set(by_step) == {"[a 2/3] COPY a/ /a", "[b 2/3] COPY b/ /b"}
    chain_a, chain_b = by_step["[a 2/3] COPY a/ /a"], by_step["[b 2/3] COPY b/ /b"]
    assert [f.path for f in chain_a.causes[0].files] == ["a/x"]
    assert [f.path for f in chain_b.causes[0].files] == ["b/y"]
    assert chain_a.cost_seconds == pytest.approx(1.0 + 2.0 + 5.0 + 6.0)
    assert chain_b.cost_seconds == pytest.approx(3.0 + 4.0 + 6.0)
    assert result.total_seconds == pytest.approx(1.0 + 2.0 + 3.0 + 4.0 + 5.0 + 6.0)
    assert result.misses[0] is chain_a  # costliest first


def test_a_copy_below_a_new_base_is_not_blamed_on_unseen_files() -> None:
    text = "FROM alpine:3\nCOPY app/ /app/\nRUN make\n"

    def first_copy(image: str, cached: bool, tag: str) -> Build:
        s = Stream().step(f"f{image}", f"[1/3] FROM docker.io/library/alpine:3@{image}", 0, 0.1)
        s.step(f"ctx{tag}", "[internal] load build context", 0, 0.1)
        s.step(f"c{image}{tag}", "[2/3] COPY app/ /app/", 0.1, 0.1 if cached else 1.1,
               inputs=[f"f{image}", f"ctx{tag}"], cached=cached)  # fmt: skip
        s.step(f"r{image}{tag}", "[3/3] RUN make", 1.1, 1.1 if cached else 3.1,
               inputs=[f"c{image}{tag}"], cached=cached)  # fmt: skip
        return read_build(io.BytesIO(s.one_line()))

    a = RunSide(first_copy("sha256:aaa", True, ""), parse_dockerfile(text))
    b = RunSide(first_copy("sha256:bbb", False, "b"), parse_dockerfile(text))
    [miss] = explain_cache_misses(a, b).misses
    assert [c.kind for c in miss.causes] == ["base-image"]
    assert miss.cost_seconds == pytest.approx(1.0 + 2.0)
