"""What ``compare`` knows of a run beyond its stream, gathered for the cache-miss
analysis (:mod:`profiler.analysis.cachemiss`): its Dockerfile and context manifest
(run files kept by ``kitprof run``, or Docker's record), the build arguments and
``--no-cache`` of its recorded command, and the files git says changed between two
runs' commits when the repository is at hand.
"""

from __future__ import annotations

from pathlib import Path

from profiler.analysis.cachemiss import RunSide
from profiler.buildargs import build_options
from profiler.context_manifest import ContextManifest
from profiler.dockerfile import Dockerfile, DockerfileError, parse_dockerfile, recorded_dockerfile
from profiler.errors import KitprofError
from profiler.model import Build


def run_side(
    build: Build,
    *,
    dockerfile: bytes | None = None,
    manifest: bytes | None = None,
    command: str | None = None,
) -> RunSide:
    """A run as the cache-miss analysis sees it. A kept file that cannot be read is
    left out (the analysis says less), never an error."""
    options = build_options(command)
    args = dict(build.record.build_args) if build.record is not None else {}
    args.update(options.build_args)
    return RunSide(
        build=build,
        dockerfile=_dockerfile(build, dockerfile),
        manifest=_manifest(manifest),
        build_args=args,
        no_cache=options.no_cache,
    )


def _dockerfile(build: Build, text: bytes | None) -> Dockerfile | None:
    if text is not None:
        try:
            return parse_dockerfile(text.decode("utf-8", errors="replace"))
        except DockerfileError:
            return None
    return recorded_dockerfile(build)


def _manifest(data: bytes | None) -> ContextManifest | None:
    if data is None:
        return None
    try:
        return ContextManifest.from_json(data)
    except KitprofError:
        return None


def git_changes(
    context: str | None, commit_a: str | None, commit_b: str | None
) -> list[str] | None:
    """Context paths changed between the two commits, if the checkout is here."""
    if not context or not commit_a or not commit_b:
        return None
    from profiler.environment import changed_between

    return changed_between(Path(context), commit_a, commit_b)
