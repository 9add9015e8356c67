"""``.dockerignore`` as BuildKit reads it (moby/patternmatcher's rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from profiler.dockerfile.ignore import IgnoreMatcher, ignore_file, read_patterns


def matcher(text: str) -> IgnoreMatcher:
    return IgnoreMatcher(read_patterns(text))


def test_reading_drops_comments_blanks_bom_and_cleans_patterns() -> None:
    text = "\ufeff# a comment\n\n  node_modules  \n./build//out/\n/dist\n! keep \n #not a comment\n"
    assert read_patterns(text) == ["node_modules", "build/out", "dist", "!keep", "#not a comment"]


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        # "*" stays inside one directory and patterns are anchored at the root
        ("*.md", "README.md", True),
        ("*.md", "docs/guide.md", False),
        ("**/*.md", "docs/guide.md", True),
        ("**/*.md", "README.md", True),
        # a directory takes everything inside it
        ("docs", "docs/a/b.txt", True),
        ("docs/", "docs/a.txt", True),
        ("docs", "docsite/a.txt", False),
        # "?" is one character, not "/"
        ("temp?", "temp1", True),
        ("temp?", "temp12", False),
        ("a?b", "a/b", False),
        ("[ab].txt", "a.txt", True),
        ("[ab].txt", "c.txt", False),
        ("[!ab].txt", "c.txt", True),
        ("**", "any/thing", True),
        ("src/**/test", "src/test", True),
        ("src/**/test", "src/a/b/test/x.py", True),
        # the last matching pattern wins; "!" puts back
        ("*.log\n!important.log", "important.log", False),
        ("*.log\n!important.log", "debug.log", True),
        ("docs\n!docs/keep.md", "docs/keep.md", False),
        ("docs\n!docs/keep.md", "docs/drop.md", True),
        ("!docs/keep.md\ndocs", "docs/keep.md", True),
        # a leading slash is the root; escapes are literal characters
        ("/secret.txt", "secret.txt", True),
        ("\\*.txt", "*.txt", True),
        ("\\*.txt", "a.txt", False),
        ("", "anything", False),
    ],
)
def test_patterns_match_as_buildkit_matches_them(patterns: str, path: str, ignored: bool) -> None:
    assert matcher(patterns).ignored(path) is ignored


def test_a_directory_is_pruned_only_when_no_exception_could_put_something_back() -> None:
    assert matcher("node_modules").prunes("node_modules")
    assert not matcher("node_modules\n!node_modules/keep").prunes("node_modules")
    assert not matcher("").prunes("node_modules")


def test_the_dockerfiles_own_ignore_file_wins(tmp_path: Path) -> None:
    (tmp_path / ".dockerignore").write_text("a\n")
    dockerfile = tmp_path / "build" / "api.Dockerfile"
    dockerfile.parent.mkdir()
    dockerfile.write_text("FROM x\n")
    assert ignore_file(tmp_path, dockerfile) == tmp_path / ".dockerignore"
    own = dockerfile.with_name("api.Dockerfile.dockerignore")
    own.write_text("b\n")
    assert ignore_file(tmp_path, dockerfile) == own
    assert ignore_file(tmp_path / "build", None) is None
