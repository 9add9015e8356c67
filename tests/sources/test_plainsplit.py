"""One plain log, several builds: where each starts, whose lines are whose, their names."""

from __future__ import annotations

import pytest

from profiler.model import Build, StepStatus
from profiler.sources import read_builds

ONE = """\
#0 building with "default" instance using docker driver

#1 [internal] load build definition from Dockerfile
#1 transferring dockerfile: 120B done
#1 DONE 0.0s

#2 [internal] load metadata for docker.io/library/alpine:3
#2 DONE 0.5s

#3 [1/2] FROM docker.io/library/alpine:3@sha256:abc
#3 DONE 0.2s

#4 [2/2] RUN {command}
#4 DONE {seconds}s

#5 exporting to image
#5 exporting layers 0.1s done
#5 naming to docker.io/library/{image}:latest done
#5 DONE 0.1s
"""

BOOTSTRAP = """\
#1 [internal] booting buildkit
#1 pulling image moby/buildkit:buildx-stable-1
#1 pulling image moby/buildkit:buildx-stable-1 4.8s done
#1 creating container buildx_buildkit_builder0
#1 creating container buildx_buildkit_builder0 0.6s done
#1 DONE 5.4s
"""


def one(command: str = "make", seconds: float = 1.0, image: str = "app") -> str:
    return ONE.format(command=command, seconds=seconds, image=image)


def read(text: str) -> list[Build]:
    return read_builds(text.encode())


def names(build: Build) -> list[str]:
    return [step.name for step in build]


def test_hash0_lines_are_part_of_the_build_not_a_new_one() -> None:
    [build] = read(one())
    assert len(build) == 5
    assert not any(name.startswith("building with") for name in names(build))


def test_sequential_builds_each_with_its_hash0_line() -> None:
    first, second = read(one("make a", 2.0, "a") + "\n" + one("make b", 3.0, "b"))
    assert any("make a" in name for name in names(first))
    assert any("make b" in name for name in names(second))
    assert (first.name, second.name) == ("docker.io/library/a:latest", "docker.io/library/b:latest")
    assert "build 2 of 2 in this log" in second.notes


def test_sequential_builds_without_hash0_lines_restart_at_1() -> None:
    old = one("make a").replace('#0 building with "default" instance using docker driver\n', "")
    text = old + "\n" + old.replace("make a", "make b")
    assert [len(build) for build in read(text)] == [5, 5]


def test_a_reprinted_first_vertex_is_not_a_new_build() -> None:
    text = (
        "#1 [internal] load build definition from Dockerfile\n#1 DONE 0.0s\n\n"
        "#1 [internal] load build definition from Dockerfile\n#1 DONE 0.3s\n\n"
        "#2 [1/1] RUN true\n#2 DONE 1.0s\n"
    )
    [build] = read(text)
    assert len(build) == 2


def test_docker_build_command_names_the_build_that_follows() -> None:
    text = (
        "Run docker build -t registry.invalid/team/api:1.2 .\n"
        + one(image="ignored")
        + "\n+ docker buildx build --tag web:$SHA --tag web:dev --load .\n"
        + one("make web", image="web")
    )
    api, web = read(text)
    assert (api.name, web.name) == ("registry.invalid/team/api:1.2", "web:dev")


def test_setup_buildx_bootstrap_is_left_out_and_said() -> None:
    [build] = read(BOOTSTRAP + "\n" + one())
    assert "booting buildkit" not in " ".join(names(build))
    assert len(build) == 5
    assert any("bootstrap" in note and "5.4 s" in note for note in build.notes)


def test_bootstrap_inside_a_build_of_an_older_buildx() -> None:
    plain = one().replace('#0 building with "default" instance using docker driver\n', "")
    [build] = read(BOOTSTRAP + "\n" + plain)
    assert len(build) == 5 and build.step("plain:1").name.startswith("[internal] load build")


def test_compose_service_prefixes_separate_and_name_the_builds() -> None:
    api = [f"api  | {line}" for line in one("make api", 2.0, "api").splitlines()]
    web = [f"web  | {line}" for line in one("make web", 3.0, "web").splitlines()]
    # Interleaved line by line, as compose up prints two builds at once.
    lines = [line for pair in zip(api, web, strict=True) for line in pair]
    first, second = read("\n".join(lines) + "\n")
    assert (first.name, second.name) == ("api", "web")
    assert first.step("plain:4").duration == 2.0 and second.step("plain:4").duration == 3.0


def test_concurrent_builds_with_colliding_numbers_are_told_apart_by_name() -> None:
    a = one("make slow-a", 4.0, "a").split("\n\n")
    b = one("make fast-b", 1.0, "b").split("\n\n")
    # Process B starts while A is running: blocks alternate, numbers collide.
    blocks = [a[0], a[1], b[0], a[2], b[1], b[2], b[3], a[3], b[4], b[5], a[4], a[5]]
    builds = read("\n\n".join(blocks))
    assert len(builds) == 2
    slow = [step for build in builds for step in build if "slow-a" in step.name]
    fast = [step for build in builds for step in build if "fast-b" in step.name]
    assert slow[0].duration == 4.0 and fast[0].duration == 1.0
    assert any("interleaved" in note for note in builds[0].notes)


def test_a_failure_in_any_build_of_the_log_is_kept() -> None:
    failing = one("make b").replace("#4 DONE 1.0s", "#4 ERROR: exit code: 2")
    failing = failing.split("#5 exporting")[0] + "ERROR: failed to solve: exit code: 2\n"
    first, second = read(one("make a") + "\n" + failing)
    assert not any(step.status is StepStatus.FAILED for step in first)
    [failed] = [step for step in second if step.status is StepStatus.FAILED]
    assert failed.name == "[2/2] RUN make b" and failed.error == "exit code: 2"
    assert "ERROR: failed to solve: exit code: 2" in second.messages


@pytest.mark.parametrize("prefix", ["", "2024-05-01T10:00:00.0000000Z ", "    ", "> "])
def test_prefixes_do_not_change_what_is_read(prefix: str) -> None:
    text = "\n".join(prefix + line for line in one().splitlines()) + "\n"
    [build] = read(text)
    assert names(build) == names(read(one())[0])


def test_compose_bake_session_gives_one_build_per_service() -> None:
    text = """\
#1 [internal] load local bake definitions
#1 DONE 0.0s

#2 [api internal] load build definition from Dockerfile
#2 DONE 0.0s

#3 [web internal] load build definition from Dockerfile
#3 DONE 0.0s

#4 [api internal] load metadata for docker.io/library/alpine:3
#4 DONE 0.4s

#4 [web internal] load metadata for docker.io/library/alpine:3
#4 DONE 0.4s

#5 [api 1/2] FROM docker.io/library/alpine:3@sha256:abc
#5 DONE 0.1s

#6 [api 2/2] RUN make api
#6 DONE 2.0s

#7 [web 2/2] RUN make web
#7 DONE 1.0s

#8 [api] exporting to image
#8 DONE 0.1s

#9 [web] exporting to image
#9 DONE 0.1s
"""
    api, web = read(text)
    assert (api.name, web.name) == ("api", "web")
    assert "[web 2/2] RUN make web" not in names(api)
    # the metadata load serves both and counts in both
    assert "plain:4" in {step.digest for step in api} & {step.digest for step in web}
    assert "[internal] load local bake definitions" not in names(api) + names(web)


def test_the_jobs_own_errors_after_a_successful_build_are_not_the_builds() -> None:
    [build] = read(one() + "\nERROR: 3 tests failed\n")
    assert "ERROR: 3 tests failed" not in build.messages
    assert all(step.status is StepStatus.DONE for step in build)


def test_a_log_line_whose_offset_the_ci_masked_names_no_vertex() -> None:
    # Secret masking turned "#4 22.95 Progress" into "#4 ***.95 Progress".
    text = one("npm ci", 30.0).replace("#4 DONE", "#4 ***.95 Progress: resolved 716\n#4 DONE")
    [build] = read(text)
    assert build.step("plain:4").name == "[2/2] RUN npm ci"
    assert len(build) == 5
