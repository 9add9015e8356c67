"""Which files of the build context a dependency install reads: its manifests.

Read from the install's command: the files it names inside the copied context, and
the files its installer reads by convention (``npm ci`` reads ``package.json`` and
``package-lock.json``…). With the build context at hand only files that exist count;
without it, names that look like manifests (and each installer's required ones).
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

from profiler.dockerfile import CopySpec, Instruction, resolve
from profiler.model import Step

# Dependency installers and the manifests they read (required, optional).
_MANIFESTS: tuple[tuple[re.Pattern[str], tuple[str, ...], tuple[str, ...]], ...] = (
    (re.compile(r"\bnpm\s+(ci|install|i)\b"), ("package.json",),
     ("package-lock.json", "npm-shrinkwrap.json", ".npmrc")),
    (re.compile(r"\byarn(\s+install)?\b"), ("package.json",),
     ("yarn.lock", ".yarnrc.yml", ".yarnrc")),
    (re.compile(r"\bpnpm\s+(install|i)\b"), ("package.json",), ("pnpm-lock.yaml", ".npmrc")),
    (re.compile(r"\bbun\s+install\b"), ("package.json",), ("bun.lockb", "bun.lock")),
    (re.compile(r"\bpoetry\s+install\b"), ("pyproject.toml",), ("poetry.lock",)),
    (re.compile(r"\buv\s+sync\b"), ("pyproject.toml",), ("uv.lock",)),
    (re.compile(r"\bpipenv\s+(install|sync)\b"), ("Pipfile",), ("Pipfile.lock",)),
    (re.compile(r"\bgo\s+mod\s+download\b"), ("go.mod",), ("go.sum",)),
    (re.compile(r"\bcargo\s+fetch\b"), ("Cargo.toml",), ("Cargo.lock",)),
    (re.compile(r"\bbundle\s+install\b"), ("Gemfile",), ("Gemfile.lock",)),
    (re.compile(r"\bcomposer\s+install\b"), ("composer.json",), ("composer.lock",)),
    (re.compile(r"\bmvn\b.*\bdependency:"), ("pom.xml",), ()),
    (re.compile(r"\bmix\s+deps\.get\b"), ("mix.exs",), ("mix.lock",)),
)  # fmt: skip
_MANIFEST_NAME = re.compile(
    r"(^|/)(requirements[\w.-]*\.(txt|in)|constraints[\w.-]*\.txt|package(-lock)?\.json|"
    r"yarn\.lock|pnpm-lock\.yaml|go\.(mod|sum)|Cargo\.(toml|lock)|Gemfile(\.lock)?|"
    r"composer\.(json|lock)|pyproject\.toml|poetry\.lock|uv\.lock|Pipfile(\.lock)?|pom\.xml|"
    r"[\w.-]*\.(lock|lockfile))$"
)


def install_manifests(
    install: Step,
    instruction: Instruction | None,
    spec: CopySpec,
    copy_workdir: str | None,
    context_dir: Path | None,
) -> list[str]:
    """The manifests ``install`` reads from what the ``COPY`` (``spec``) copied.

    Paths relative to the build context, in the order found, each once.
    ``context_dir`` is the build context directory when it is at hand (``None``: not).
    """
    context_known = context_dir is not None

    def in_context(relative: str) -> bool:
        return context_dir is not None and (context_dir / relative).is_file()

    command = instruction.arguments if instruction is not None else install.parsed.text
    if instruction is not None:
        command += "".join("\n" + h.body for h in instruction.heredocs)
    run_workdir = instruction.workdir if instruction is not None else copy_workdir or "/"
    destination = resolve(spec.destination, copy_workdir or run_workdir)
    found: list[str] = []
    # Files the command names, inside the copied context.
    for token in re.findall(r"[\w./-]+", command):
        if token.startswith("-") or "://" in token or "." not in token.split("/")[-1]:
            continue
        absolute = resolve(token, run_workdir)
        if absolute != destination and not absolute.startswith(destination.rstrip("/") + "/"):
            continue
        relative = posixpath.relpath(absolute, destination)
        if relative.startswith(".."):
            continue
        if in_context(relative) or (not context_known and _MANIFEST_NAME.search(relative)):
            found.append(relative)
    # Files the installer reads by convention.
    for pattern, required, optional in _MANIFESTS:
        if pattern.search(command) is None:
            continue
        for name in (*required, *optional):
            if in_context(name) or (not context_known and name in required):
                found.append(name)
    return list(dict.fromkeys(found))
