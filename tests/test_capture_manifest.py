"""The context manifest ``kitprof run`` takes: what COPY sources match, hashed."""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from profiler.capture.manifest import (
    ManifestError,
    context_sources,
    run_manifest,
    take_manifest,
    unreadable,
)
from profiler.context_manifest import ContextManifest, changed_files
from profiler.dockerfile import parse_dockerfile


def make_context(root: Path, dockerfile: str, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "Dockerfile").write_text(dockerfile)
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def test_only_what_the_copy_sources_match_is_listed_and_hashed(tmp_path: Path) -> None:
    context = make_context(
        tmp_path,
        "FROM x\nCOPY app/ /app/\nCOPY *.json ./\nCOPY --from=builder /out /out\n"
        "ADD https://x.invalid/f.tgz /f\nCOPY <<EOF /greeting\nhi\nEOF\n",
        {
            "app/main.py": "print(1)\n",
            "app/lib/util.py": "x = 1\n",
            "package.json": "{}\n",
            "package-lock.json": "[]\n",
            "docs/guide.md": "not copied\n",
        },
    )
    manifest = take_manifest(context)
    assert sorted(manifest.files) == [
        "app/lib/util.py",
        "app/main.py",
        "package-lock.json",
        "package.json",
    ]
    assert manifest.files["app/main.py"]["sha256"] == sha("print(1)\n")
    assert [(s.line, s.patterns, s.matched) for s in manifest.sources] == [
        (2, ("app/",), 2),
        (3, ("*.json",), 2),
    ]
    assert manifest.stats["hashed"] == 4


def test_dockerignore_is_honoured_with_its_exceptions(tmp_path: Path) -> None:
    context = make_context(
        tmp_path,
        "FROM x\nCOPY . /src\n",
        {
            ".dockerignore": "node_modules\n*.log\n!keep.log\n**/.cache\n",
            "main.c": "int main;\n",
            "debug.log": "x\n",
            "keep.log": "y\n",
            "node_modules/a/index.js": "z\n",
            "lib/.cache/blob": "c\n",
            "lib/lib.c": "int lib;\n",
        },
    )
    manifest = take_manifest(context)
    assert sorted(manifest.files) == [".dockerignore", "Dockerfile", "keep.log", "lib/lib.c",
                                      "main.c"]  # fmt: skip
    assert manifest.ignore_file == ".dockerignore"


def test_build_args_expand_sources_and_bind_mounts_read_the_context(tmp_path: Path) -> None:
    context = make_context(
        tmp_path,
        "ARG DIR=app\nFROM x\nARG DIR\nCOPY ${DIR}/ /srv/\n"
        "RUN --mount=type=bind,source=scripts,target=/s sh /s/build.sh\n"
        "RUN --mount=type=cache,target=/root/.cache true\n",
        {"app/a.txt": "a\n", "web/w.txt": "w\n", "scripts/build.sh": "echo\n"},
    )
    assert sorted(take_manifest(context).files) == ["app/a.txt", "scripts/build.sh"]
    assert sorted(take_manifest(context, build_args={"DIR": "web"}).files) == [
        "scripts/build.sh",
        "web/w.txt",
    ]
    dockerfile = parse_dockerfile((context / "Dockerfile").read_text())
    assert [s.patterns for s in context_sources(dockerfile, {})] == [("app/",), ("scripts",)]


def test_symlinks_are_kept_as_links_inside_a_directory_and_followed_as_a_source(
    tmp_path: Path,
) -> None:
    context = make_context(
        tmp_path, "FROM x\nCOPY app /app\nCOPY current.txt /\n", {"app/v1.txt": "one\n"}
    )
    (context / "app" / "latest").symlink_to("v1.txt")
    (context / "app" / "dangling").symlink_to("nowhere")
    (context / "current.txt").symlink_to("app/v1.txt")
    files = take_manifest(context).files
    assert files["app/latest"] == {"symlink": "v1.txt"}
    assert files["app/dangling"] == {"symlink": "nowhere"}
    assert files["current.txt"]["symlink"] == "app/v1.txt"
    assert files["current.txt"]["sha256"] == sha("one\n")


def test_a_source_that_is_a_dangling_link_is_listed_with_its_error(tmp_path: Path) -> None:
    context = make_context(tmp_path, "FROM x\nCOPY gone.txt /\n", {})
    (context / "gone.txt").symlink_to("missing.txt")
    manifest = take_manifest(context)
    assert manifest.files["gone.txt"]["error"] == "No such file or directory"
    assert unreadable(manifest) == ["gone.txt: No such file or directory"]


def _as_unprivileged_user(work: Callable[[], str]) -> str:
    """``work()`` in a forked child without root's power to read any file (root reads
    a file of mode 000 anyway); the modules it needs are loaded before the fork."""
    if os.geteuid() != 0:
        return work()
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - the child's result comes back through the pipe
        code = 0
        try:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)
            os.write(writer, work().encode())
        except BaseException as error:
            os.write(writer, f"child failed: {error!r}".encode())
            code = 1
        finally:
            os._exit(code)
    os.close(writer)
    with os.fdopen(reader, "rb") as pipe:
        output = pipe.read().decode()
    os.waitpid(child, 0)
    return output


def test_an_unreadable_file_is_named_in_one_line_and_the_rest_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parent = Path(tempfile.mkdtemp(prefix="kitprof-manifest-"))
    try:
        context = make_context(
            parent / "ctx", "FROM x\nCOPY app /app\n", {"app/ok.txt": "ok\n", "app/secret.txt": "s"}
        )
        for path in (parent, context, context / "app"):
            os.chmod(path, 0o755)
        os.chmod(context / "Dockerfile", 0o644)
        os.chmod(context / "app" / "ok.txt", 0o644)
        os.chmod(context / "app" / "secret.txt", 0o000)

        def work() -> str:
            result = run_manifest(context, ["docker", "build", str(context)], context)
            assert result.manifest is not None
            entry = result.manifest.files["app/secret.txt"]
            kept = "sha256" in result.manifest.files["app/ok.txt"]
            return f"{result.problem}\n{sorted(entry)}\n{kept}"

        monkeypatch.setenv("KITPROF_DATA_DIR", str(parent / "data"))
        problem, fields, kept = _as_unprivileged_user(work).splitlines()
        assert problem == "cannot read 1 file(s) of the context (app/secret.txt: Permission denied)"
        assert fields == "['error', 'mode']"
        assert kept == "True"
    finally:
        subprocess.run(["rm", "-rf", str(parent)], check=False)


def test_a_context_or_dockerfile_that_cannot_be_read_is_one_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KITPROF_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(ManifestError, match="is not a directory"):
        take_manifest(tmp_path / "missing")
    with pytest.raises(ManifestError, match=r"cannot read .*Dockerfile"):
        take_manifest(tmp_path)
    result = run_manifest(tmp_path, ["docker", "build", "."], tmp_path)
    assert result.manifest is None
    assert result.problem is not None and "Dockerfile" in result.problem


def test_unchanged_files_are_not_hashed_again_once_their_stat_is_safely_old(
    tmp_path: Path,
) -> None:
    context = make_context(tmp_path, "FROM x\nCOPY . /\n", {"a.txt": "a\n", "b.txt": "b\n"})
    first = take_manifest(context)
    # Taken in the same moment the files were written: the stat cannot be trusted yet.
    assert take_manifest(context, previous=first).stats["hashed"] == 3
    time.sleep(2.2)
    settled = take_manifest(context)
    (context / "b.txt").write_text("B\n")  # same size, new content
    again = take_manifest(context, previous=settled)
    assert (again.stats["hashed"], again.stats["reused"]) == (1, 2)
    assert again.files["b.txt"]["sha256"] == sha("B\n")
    assert [c.path for c in changed_files(settled, again, ["."])] == ["b.txt"]


def test_the_manifest_reads_back_from_its_json(tmp_path: Path) -> None:
    context = make_context(tmp_path, "FROM x\nCOPY a.txt /\n", {"a.txt": "a\n"})
    manifest = take_manifest(context)
    back = ContextManifest.from_json(manifest.to_json())
    assert back.files == manifest.files
    assert back.sources == manifest.sources


def test_run_manifest_reads_the_dockerfile_and_build_args_of_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    context = make_context(
        tmp_path / "ctx",
        "FROM x\n",
        {
            "ci/api.Dockerfile": "ARG D=a\nFROM x\nCOPY $D /\n",
            "a/x": "1\n",
            "b/y": "2\n",
        },
    )
    argv = ["docker", "buildx", "build", "-f", "ctx/ci/api.Dockerfile", "--build-arg", "D=b", "ctx"]
    monkeypatch.setenv("KITPROF_DATA_DIR", str(tmp_path / "data"))
    result = run_manifest(context, argv, tmp_path)
    assert result.manifest is not None
    assert sorted(result.manifest.files) == ["b/y"]
    assert result.dockerfile_text == (context / "ci" / "api.Dockerfile").read_bytes()
    assert result.manifest.dockerfile == "ci/api.Dockerfile"
