"""Which CI system is running us, and what it says about the run: branch, commit, URL.

Each provider announces itself with an environment variable of its own and describes
the run in others. :func:`detect_ci` reads an environment (``os.environ`` by default)
and returns what it found, or ``None`` outside CI. Only documented, stable variables are
read; a variable that is missing or empty leaves its field ``None``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CIInfo:
    provider: str
    """One of :data:`PROVIDERS`: ``github-actions``, ``gitlab-ci``, ``circleci``…"""
    job: str | None = None
    """The job (or step) name inside the pipeline."""
    run_id: str | None = None
    """The provider's id or number of the pipeline run."""
    run_url: str | None = None
    """A link back to the run (or job) in the provider's web UI."""
    branch: str | None = None
    """The branch being built (the source branch of a pull/merge request)."""
    commit: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {
            "provider": self.provider,
            "job": self.job,
            "run_id": self.run_id,
            "run_url": self.run_url,
            "branch": self.branch,
            "commit": self.commit,
        }


Environ = Mapping[str, str]


def detect_ci(environ: Environ | None = None) -> CIInfo | None:
    """The CI system described by ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ
    for detect, describe in _PROVIDERS:
        if detect(env):
            return describe(env)
    return None


def _get(env: Environ, *names: str) -> str | None:
    """The first of ``names`` that is set to something non-empty."""
    for name in names:
        value = env.get(name, "").strip()
        if value:
            return value
    return None


def _short_branch(ref: str | None) -> str | None:
    """``refs/heads/main`` → ``main``; Jenkins' ``origin/main`` → ``main``."""
    if ref is None:
        return None
    for prefix in ("refs/heads/", "origin/"):
        if ref.startswith(prefix):
            return ref[len(prefix) :]
    return ref


def _join_url(*parts: str | None) -> str | None:
    if any(part is None for part in parts):
        return None
    return "/".join(str(part).strip("/") for part in parts)


def _github(env: Environ) -> CIInfo:
    run_id = _get(env, "GITHUB_RUN_ID")
    url = _join_url(
        _get(env, "GITHUB_SERVER_URL"), _get(env, "GITHUB_REPOSITORY"), "actions/runs", run_id
    )
    attempt = _get(env, "GITHUB_RUN_ATTEMPT")
    if url is not None and attempt is not None and attempt != "1":
        url = f"{url}/attempts/{attempt}"
    job = _get(env, "GITHUB_JOB")
    workflow = _get(env, "GITHUB_WORKFLOW")
    return CIInfo(
        provider="github-actions",
        job=f"{workflow}/{job}" if workflow and job else job or workflow,
        run_id=run_id,
        run_url=url,
        # On pull requests GITHUB_REF_NAME is "123/merge"; the head ref is the branch.
        branch=_get(env, "GITHUB_HEAD_REF", "GITHUB_REF_NAME"),
        commit=_get(env, "GITHUB_SHA"),
    )


def _gitlab(env: Environ) -> CIInfo:
    return CIInfo(
        provider="gitlab-ci",
        job=_get(env, "CI_JOB_NAME"),
        run_id=_get(env, "CI_PIPELINE_ID"),
        run_url=_get(env, "CI_JOB_URL", "CI_PIPELINE_URL"),
        branch=_get(
            env, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", "CI_COMMIT_BRANCH", "CI_COMMIT_REF_NAME"
        ),
        commit=_get(env, "CI_COMMIT_SHA"),
    )


def _circleci(env: Environ) -> CIInfo:
    return CIInfo(
        provider="circleci",
        job=_get(env, "CIRCLE_JOB"),
        run_id=_get(env, "CIRCLE_WORKFLOW_ID", "CIRCLE_BUILD_NUM"),
        run_url=_get(env, "CIRCLE_BUILD_URL"),
        branch=_get(env, "CIRCLE_BRANCH"),
        commit=_get(env, "CIRCLE_SHA1"),
    )


def _jenkins(env: Environ) -> CIInfo:
    return CIInfo(
        provider="jenkins",
        job=_get(env, "JOB_NAME"),
        run_id=_get(env, "BUILD_NUMBER", "BUILD_ID"),
        run_url=_get(env, "BUILD_URL"),
        # Multibranch pipelines set BRANCH_NAME (CHANGE_BRANCH for pull requests); the
        # git plugin sets GIT_BRANCH, usually as "origin/main".
        branch=_short_branch(_get(env, "CHANGE_BRANCH", "BRANCH_NAME", "GIT_BRANCH")),
        commit=_get(env, "GIT_COMMIT"),
    )


def _buildkite(env: Environ) -> CIInfo:
    url = _get(env, "BUILDKITE_BUILD_URL")
    job_id = _get(env, "BUILDKITE_JOB_ID")
    return CIInfo(
        provider="buildkite",
        job=_get(env, "BUILDKITE_LABEL", "BUILDKITE_STEP_KEY"),
        run_id=_get(env, "BUILDKITE_BUILD_NUMBER", "BUILDKITE_BUILD_ID"),
        run_url=f"{url}#{job_id}" if url and job_id else url,
        branch=_get(env, "BUILDKITE_BRANCH"),
        commit=_get(env, "BUILDKITE_COMMIT"),
    )


def _azure(env: Environ) -> CIInfo:
    build_id = _get(env, "BUILD_BUILDID")
    collection = _get(env, "SYSTEM_COLLECTIONURI", "SYSTEM_TEAMFOUNDATIONCOLLECTIONURI")
    project = _get(env, "SYSTEM_TEAMPROJECT")
    url = None
    if collection and project and build_id:
        url = f"{collection.rstrip('/')}/{project}/_build/results?buildId={build_id}"
    return CIInfo(
        provider="azure-pipelines",
        job=_get(env, "SYSTEM_JOBDISPLAYNAME", "AGENT_JOBNAME", "SYSTEM_JOBNAME"),
        run_id=build_id,
        run_url=url,
        branch=_short_branch(_get(env, "SYSTEM_PULLREQUEST_SOURCEBRANCH", "BUILD_SOURCEBRANCH")),
        commit=_get(env, "BUILD_SOURCEVERSION"),
    )


def _is_true(*names: str) -> Callable[[Environ], bool]:
    return lambda env: any(env.get(name, "").strip().lower() == "true" for name in names)


_PROVIDERS: tuple[tuple[Callable[[Environ], bool], Callable[[Environ], CIInfo]], ...] = (
    (_is_true("GITHUB_ACTIONS"), _github),
    (_is_true("GITLAB_CI"), _gitlab),
    (_is_true("CIRCLECI"), _circleci),
    (_is_true("BUILDKITE"), _buildkite),
    (_is_true("TF_BUILD"), _azure),
    # Jenkins sets no flag of its own; JENKINS_URL (with a build URL) is the marker.
    (
        lambda env: bool(_get(env, "JENKINS_URL")) and bool(_get(env, "BUILD_URL", "BUILD_ID")),
        _jenkins,
    ),
)

PROVIDERS = ("github-actions", "gitlab-ci", "circleci", "buildkite", "azure-pipelines", "jenkins")
