"""The context manifest as data: which files a COPY source takes, what changed."""

from __future__ import annotations

import pytest

from profiler.context_manifest import ContextManifest, changed_files, clean_source, source_covers
from profiler.errors import InputError


@pytest.mark.parametrize(
    ("pattern", "path", "covered"),
    [
        (".", "any/file", True),
        ("./", "any/file", True),
        ("/app", "app/main.c", True),
        ("app/", "app/main.c", True),
        ("app", "application.c", False),
        ("*.json", "package.json", True),
        ("*.json", "sub/package.json", False),
        ("src/*/index.js", "src/a/index.js", True),
        ("src/*/index.js", "src/a/b/index.js", False),
        ("src/*", "src/a/b/index.js", True),  # a matched directory takes what is inside
        ("conf?.ini", "conf1.ini", True),
        ("[ab].txt", "c.txt", False),
    ],
)
def test_a_copy_source_covers_paths_as_copy_matches_them(
    pattern: str, path: str, covered: bool
) -> None:
    assert source_covers(clean_source(pattern), path) is covered


def entry(digest: str, mode: str = "0644") -> dict[str, str]:
    return {"sha256": digest, "mode": mode}


def test_changed_files_are_those_the_patterns_take_that_differ() -> None:
    before = ContextManifest(
        files={"app/a": entry("1"), "app/b": entry("2"), "app/c": entry("3"), "x": entry("4")}
    )
    after = ContextManifest(
        files={
            "app/a": entry("1"),
            "app/b": entry("2", mode="0755"),  # mode matters to BuildKit's cache
            "app/d": entry("5"),
            "x": entry("changed"),
        }
    )
    changes = changed_files(before, after, ["app/"])
    assert [(c.path, c.change) for c in changes] == [
        ("app/b", "modified"),
        ("app/c", "removed"),
        ("app/d", "added"),
    ]


def test_a_link_that_points_elsewhere_is_a_change() -> None:
    before = ContextManifest(files={"cur": {"symlink": "v1"}})
    after = ContextManifest(files={"cur": {"symlink": "v2"}})
    assert [c.path for c in changed_files(before, after, ["."])] == ["cur"]


@pytest.mark.parametrize("data", [b"", b"[]", b'{"files": []}', b"{not json"])
def test_what_is_not_a_manifest_is_refused_in_one_line(data: bytes) -> None:
    with pytest.raises(InputError, match="not a context manifest"):
        ContextManifest.from_json(data)


def test_the_history_copy_leaves_out_what_only_the_next_scan_uses() -> None:
    entry = {"sha256": "1", "mode": "0644", "size": 2, "mtime_ns": 3, "ctime_ns": 4, "ino": 5}
    manifest = ContextManifest(files={"a": entry})
    kept = ContextManifest.from_json(manifest.to_json(stat=False))
    assert kept.files == {"a": {"sha256": "1", "mode": "0644", "size": 2}}
    assert ContextManifest.from_json(manifest.to_json()).files == {"a": entry}
