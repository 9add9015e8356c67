"""CI detection from each provider's documented environment variables."""

from __future__ import annotations

import pytest

from profiler.ci import PROVIDERS, CIInfo, detect_ci

CASES: dict[str, tuple[dict[str, str], CIInfo]] = {
    "github-actions push": (
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://git.example",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_RUN_ID": "9001",
            "GITHUB_RUN_ATTEMPT": "1",
            "GITHUB_WORKFLOW": "ci",
            "GITHUB_JOB": "image",
            "GITHUB_REF_NAME": "main",
            "GITHUB_HEAD_REF": "",
            "GITHUB_SHA": "a1b2c3",
        },
        CIInfo(
            provider="github-actions",
            job="ci/image",
            run_id="9001",
            run_url="https://git.example/acme/shop/actions/runs/9001",
            branch="main",
            commit="a1b2c3",
        ),
    ),
    "github-actions pull request, second attempt": (
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_SERVER_URL": "https://git.example",
            "GITHUB_REPOSITORY": "acme/shop",
            "GITHUB_RUN_ID": "9002",
            "GITHUB_RUN_ATTEMPT": "2",
            "GITHUB_JOB": "image",
            "GITHUB_REF_NAME": "17/merge",
            "GITHUB_HEAD_REF": "feature/cache",
            "GITHUB_SHA": "d4e5f6",
        },
        CIInfo(
            provider="github-actions",
            job="image",
            run_id="9002",
            run_url="https://git.example/acme/shop/actions/runs/9002/attempts/2",
            branch="feature/cache",
            commit="d4e5f6",
        ),
    ),
    "gitlab-ci": (
        {
            "GITLAB_CI": "true",
            "CI_JOB_NAME": "build-image",
            "CI_PIPELINE_ID": "555",
            "CI_JOB_URL": "https://gitlab.example/acme/shop/-/jobs/777",
            "CI_COMMIT_REF_NAME": "main",
            "CI_COMMIT_BRANCH": "main",
            "CI_COMMIT_SHA": "0badc0de",
        },
        CIInfo(
            "gitlab-ci",
            "build-image",
            "555",
            "https://gitlab.example/acme/shop/-/jobs/777",
            "main",
            "0badc0de",
        ),
    ),
    "gitlab-ci merge request": (
        {
            "GITLAB_CI": "true",
            "CI_PIPELINE_ID": "556",
            "CI_PIPELINE_URL": "https://gitlab.example/acme/shop/-/pipelines/556",
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "fix/layers",
            "CI_COMMIT_REF_NAME": "refs/merge-requests/4/head",
            "CI_COMMIT_SHA": "1234",
        },
        CIInfo(
            "gitlab-ci",
            None,
            "556",
            "https://gitlab.example/acme/shop/-/pipelines/556",
            "fix/layers",
            "1234",
        ),
    ),
    "circleci": (
        {
            "CIRCLECI": "true",
            "CIRCLE_JOB": "docker",
            "CIRCLE_WORKFLOW_ID": "wf-1",
            "CIRCLE_BUILD_NUM": "88",
            "CIRCLE_BUILD_URL": "https://circle.example/gh/acme/shop/88",
            "CIRCLE_BRANCH": "develop",
            "CIRCLE_SHA1": "cafe",
        },
        CIInfo(
            "circleci",
            "docker",
            "wf-1",
            "https://circle.example/gh/acme/shop/88",
            "develop",
            "cafe",
        ),
    ),
    "jenkins": (
        {
            "JENKINS_URL": "https://jenkins.example/",
            "BUILD_URL": "https://jenkins.example/job/shop/42/",
            "BUILD_NUMBER": "42",
            "JOB_NAME": "shop",
            "GIT_BRANCH": "origin/main",
            "GIT_COMMIT": "beef",
        },
        CIInfo("jenkins", "shop", "42", "https://jenkins.example/job/shop/42/", "main", "beef"),
    ),
    "jenkins multibranch": (
        {
            "JENKINS_URL": "https://jenkins.example/",
            "BUILD_ID": "7",
            "BUILD_NUMBER": "7",
            "BRANCH_NAME": "PR-3",
            "CHANGE_BRANCH": "feature/x",
            "GIT_COMMIT": "f00d",
        },
        CIInfo("jenkins", None, "7", None, "feature/x", "f00d"),
    ),
    "buildkite": (
        {
            "BUILDKITE": "true",
            "BUILDKITE_LABEL": ":docker: image",
            "BUILDKITE_BUILD_NUMBER": "1200",
            "BUILDKITE_BUILD_URL": "https://buildkite.example/acme/shop/builds/1200",
            "BUILDKITE_JOB_ID": "0190-abcd",
            "BUILDKITE_BRANCH": "main",
            "BUILDKITE_COMMIT": "abcdef",
        },
        CIInfo(
            "buildkite",
            ":docker: image",
            "1200",
            "https://buildkite.example/acme/shop/builds/1200#0190-abcd",
            "main",
            "abcdef",
        ),
    ),
    "azure-pipelines": (
        {
            "TF_BUILD": "True",
            "BUILD_BUILDID": "314",
            "SYSTEM_COLLECTIONURI": "https://azure.example/acme/",
            "SYSTEM_TEAMPROJECT": "shop",
            "SYSTEM_JOBDISPLAYNAME": "Build image",
            "BUILD_SOURCEBRANCH": "refs/heads/release/2.0",
            "BUILD_SOURCEVERSION": "9876",
        },
        CIInfo(
            "azure-pipelines",
            "Build image",
            "314",
            "https://azure.example/acme/shop/_build/results?buildId=314",
            "release/2.0",
            "9876",
        ),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_provider_is_detected(name: str) -> None:
    environ, expected = CASES[name]
    assert detect_ci(environ) == expected


def test_every_provider_has_a_case() -> None:
    assert {expected.provider for _, expected in CASES.values()} == set(PROVIDERS)


def test_outside_ci_there_is_nothing() -> None:
    assert detect_ci({"HOME": "/root", "CI": "true", "GITHUB_ACTIONS": "false"}) is None
    assert detect_ci({"JENKINS_URL": "https://jenkins.example/"}) is None  # not in a build


def test_the_process_environment_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for flag in ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "TF_BUILD", "JENKINS_URL"):
        monkeypatch.delenv(flag, raising=False)
    monkeypatch.setenv("CIRCLECI", "true")
    monkeypatch.setenv("CIRCLE_BRANCH", "topic")
    found = detect_ci()
    assert found is not None and found.branch == "topic"
    assert found.as_dict()["provider"] == "circleci"
