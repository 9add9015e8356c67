"""The dashboard's URLs: which page a path shows, and the links between pages.

    /                       Runs: ?build=shop&branch=main&label=arch=amd64&status=failed&page=2
    /build/<ref>            Build of one run (``42`` from the history, ``f3`` a file)
    /builds/<name>          A build's own page: its runs over time, its stages, its last failure
    /compare?a=<ref>&b=<ref>
    /trends                 ?build=shop&branch=…&label=…&stage=…&last=100

Runs and Trends show one build at a time: without ``build`` in the URL, the build of
the newest run; ``build=*`` (Runs only) lists every build's runs together.

Pure functions of strings, so that links are tested without a browser.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qs, quote, unquote, urlencode

from dashboard.sources import RunFilters

PAGES = ("runs", "build", "builds", "compare", "trends")
ALL_BUILDS = "*"
"""``build=*``: the runs of every build (the Runs page's "all builds")."""
STATUSES = ("success", "failed", "cancelled", "incomplete", "untrusted")


@dataclass(frozen=True, slots=True)
class Route:
    page: str
    """One of :data:`PAGES`, or ``not-found``."""
    ref: str | None = None
    query: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def first(self, key: str) -> str | None:
        values = self.query.get(key)
        return values[0] if values else None

    def all(self, key: str) -> list[str]:
        return list(self.query.get(key, ()))


def parse_route(pathname: str | None, search: str | None = None) -> Route:
    path = (pathname or "/").rstrip("/") or "/"
    query = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    if path == "/":
        return Route("runs", query=query)
    parts = path.strip("/").split("/")
    if parts[0] == "build" and len(parts) == 2 and parts[1]:
        return Route("build", ref=parts[1], query=query)
    if parts[0] == "builds" and len(parts) == 2 and parts[1]:
        # A build's name may hold "/": it arrives as %2F, one path segment.
        return Route("builds", ref=unquote(parts[1]), query=query)
    if parts == ["compare"]:
        return Route("compare", query=query)
    if parts == ["trends"]:
        return Route("trends", query=query)
    return Route("not-found", query=query)


def filters_of(route: Route) -> RunFilters:
    """Branch, labels (``key=value``, repeatable) and status from a query string."""
    labels: dict[str, str] = {}
    for item in route.all("label"):
        key, sep, value = item.partition("=")
        if sep and key:
            labels[key] = value
    status = route.first("status")
    return RunFilters(
        build=route.first("build") or None,
        branch=route.first("branch") or None,
        labels=labels,
        status=status if status in STATUSES else None,
    )


def int_param(route: Route, key: str, default: int, minimum: int = 0) -> int:
    text = route.first(key)
    if text is None or not text.strip().isdigit():
        return default
    return max(minimum, int(text))


def filter_query(filters: RunFilters) -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if filters.build:
        pairs.append(("build", filters.build))
    if filters.branch:
        pairs.append(("branch", filters.branch))
    pairs.extend(("label", f"{key}={value}") for key, value in filters.labels.items())
    if filters.status:
        pairs.append(("status", filters.status))
    return pairs


def _with_query(path: str, pairs: Sequence[tuple[str, str]]) -> str:
    return f"{path}?{urlencode(pairs)}" if pairs else path


def runs_href(filters: RunFilters | None = None, page: int = 1) -> str:
    pairs = filter_query(filters or RunFilters())
    if page > 1:
        pairs.append(("page", str(page)))
    return _with_query("/", pairs)


def ref_label(ref: str) -> str:
    """How a run is named on a page: ``#42`` in the history, ``f3`` for a file."""
    return f"#{ref}" if ref.isdigit() else ref


def build_href(ref: str) -> str:
    return f"/build/{quote(ref, safe='')}"


def build_home_href(name: str) -> str:
    """The page of a build (not of one run): its runs over time."""
    return f"/builds/{quote(name, safe='')}"


def compare_href(a: str | None, b: str | None) -> str:
    pairs = [(key, value) for key, value in (("a", a), ("b", b)) if value]
    return _with_query("/compare", pairs)


def trends_href(
    filters: RunFilters | None = None, stage: str | None = None, last: int | None = None
) -> str:
    pairs = filter_query(filters or RunFilters())
    if stage:
        pairs.append(("stage", stage))
    if last:
        pairs.append(("last", str(last)))
    return _with_query("/trends", pairs)
