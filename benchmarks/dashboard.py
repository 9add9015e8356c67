"""Benchmark the dashboard in headless Chromium: a 5,000-step build, a 10,000-run history.

Runs the real ``kitprof dashboard`` in a subprocess on 127.0.0.1 and drives Debian's
Chromium with Playwright (``scripts/setup-browser`` installs it). Measured from
``page.goto`` in a warm browser (plotly.js already in its cache, as for a user's
second page), median of ``--repeat`` page loads:

- **build page, 5,000 steps** (the 110 MiB stream of ``benchmarks/generate_stream.py``,
  made once into ``benchmarks/out/``), given as a file (kept in memory) and from the
  history store (SQLite; each load a run not yet in the server's cache, so the stream
  is read from the database, decompressed, parsed and analysed each time):
  *interactive* = the Gantt's bars are drawn; then *click → logs* = a click on a bar
  until the step's logs show, while the suggestions are still being worked out;
- **runs page, 10,000 runs** (the history of ``benchmarks/history.py``, filled once
  into ``--keep``): *interactive* = the table and the trend chart are drawn; also a
  deep page (``?page=150``) and a branch filter.

Targets (issue 6): build page under 3 s, runs page under 2 s.

    python benchmarks/dashboard.py                       # both, prints JSON
    python benchmarks/dashboard.py --only runs --keep /tmp/kitprof-bench-history
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import orjson

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

OUT = REPO / "benchmarks" / "out"
BIG_STREAM = OUT / "dashboard-5000steps-110MiB.rawjson"
TIMEOUT_MS = 120_000


def report(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def dashboard(*arguments: str, repo: Path = REPO) -> Iterator[str]:
    """``kitprof dashboard ARGUMENTS`` in a subprocess; yields its URL once it answers.
    ``repo``: the checkout whose code runs (``python -m`` imports from its folder)."""
    port = free_port()
    env = {**os.environ, "KITPROF_DB": ""}
    process = subprocess.Popen(
        [sys.executable, "-m", "profiler", "dashboard", "--port", str(port), *arguments],
        cwd=repo,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        while True:
            if process.poll() is not None:
                raise SystemExit(f"kitprof dashboard exited with {process.returncode}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
                break
            if time.monotonic() > deadline:
                raise SystemExit("kitprof dashboard did not start")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def big_stream() -> Path:
    made = sorted(OUT.glob("stream-indented-5000steps-110MiB-*.rawjson"))  # benchmarks/ingest.py
    if made:
        return made[0]
    if not BIG_STREAM.exists():
        from benchmarks.generate_stream import generate

        report(f"generating {BIG_STREAM.name} (once)")
        generate(BIG_STREAM, steps=5000, megabytes=110.0)
    return BIG_STREAM


def summary(samples: list[float]) -> dict[str, float]:
    return {
        "median_s": round(statistics.median(samples), 3),
        "min_s": round(min(samples), 3),
        "max_s": round(max(samples), 3),
    }


FIRST_CHART = "#gantt .barlayer .point path, #gantt-quick .barlayer .point path"
"""The Gantt's first bar: drawn from the history's rows (gantt-quick) or the build."""
WAIT_IDLE = "() => !document.querySelector('[data-dash-is-loading=\"true\"]')"
VIEW_SELECTOR = "#timeline-view"
BAR_CENTER = """() => {
    const gd = document.querySelector('#gantt .js-plotly-plot');
    const traces = gd.querySelectorAll('.barlayer .trace');
    const paths = traces[0].querySelectorAll('.point path');
    const bar = paths[Math.floor(paths.length / 2)];
    // A mouse click lands only on what is on screen: the timeline of 5,000 steps is
    // taller than the window (and the overview sits above it).
    bar.scrollIntoView({block: 'center'});
    const box = bar.getBoundingClientRect();
    return [box.x + box.width / 2, box.y + box.height / 2];
}"""


def measure_build(page: Any, url: str, refs: list[str]) -> dict[str, Any]:
    ready: list[float] = []
    click: list[float] = []
    for ref in refs:
        page.goto(url + "/")  # leave the build page, so the next load is a real one
        page.wait_for_selector("#runs-table")
        began = time.perf_counter()
        page.goto(f"{url}/build/{ref}")
        page.wait_for_selector("#gantt .barlayer .point path", state="attached")
        ready.append(time.perf_counter() - began)
        if page.is_checked(f"{VIEW_SELECTOR} input[value='stages']"):
            # A big build opens on its stages: a click on one shows its steps first.
            x, y = page.evaluate(BAR_CENTER)
            page.mouse.click(x, y)
            drilled = f"{VIEW_SELECTOR} input[value='stage']:checked"
            page.wait_for_selector(drilled, state="attached")
            page.wait_for_function(WAIT_IDLE, timeout=TIMEOUT_MS)
        x, y = page.evaluate(BAR_CENTER)
        began = time.perf_counter()
        page.mouse.move(x, y)
        page.mouse.click(x, y)
        page.wait_for_selector("#step-panel .step-name")
        click.append(time.perf_counter() - began)
        page.wait_for_function(WAIT_IDLE, timeout=TIMEOUT_MS)  # suggestions, before leaving
    return {"interactive": summary(ready), "click_to_logs": summary(click), "loads": len(refs)}


def measure_page(page: Any, url: str, ready: Callable[[Any], None], repeat: int) -> dict[str, Any]:
    samples = []
    for _ in range(repeat):
        page.goto("about:blank")
        began = time.perf_counter()
        page.goto(url)
        ready(page)
        samples.append(time.perf_counter() - began)
    return summary(samples)


def runs_ready(page: Any) -> None:
    page.wait_for_selector("#runs-table tbody tr")
    page.wait_for_selector("#runs-trend .scatterlayer .point", state="attached")
    page.wait_for_function(WAIT_IDLE, timeout=TIMEOUT_MS)


def fill_history(folder: Path, runs: int) -> str:
    from benchmarks.history import fill
    from profiler.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{folder / 'history.db'}"
    with Store(db) as store:
        fill(store, runs, report)
    return db


def launch(playwright: Any) -> Any:
    from tests.dashboard.chromium import launch_chromium

    executable = shutil.which("chromium")
    if executable is None:
        raise SystemExit("no chromium: run scripts/setup-browser")
    return launch_chromium(playwright, executable)


def bench_build(playwright: Any, repeat: int) -> dict[str, Any]:
    stream = big_stream()
    results: dict[str, Any] = {"stream_mib": round(stream.stat().st_size / 2**20, 1)}
    browser = launch(playwright)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        with dashboard(str(stream)) as url:
            page.goto(f"{url}/build/f1")  # warm: plotly.js into the browser's cache
            page.wait_for_selector("#gantt .barlayer .point path", state="attached")
            page.wait_for_function(WAIT_IDLE, timeout=TIMEOUT_MS)
            results["file"] = measure_build(page, url, ["f1"] * repeat)
            report(f"build page, file: {results['file']}")
        with tempfile.TemporaryDirectory(prefix="kitprof-bench-") as folder:
            from profiler.store import Store

            db = f"sqlite:///{folder}/history.db"
            with Store(db) as store:
                # The same stream stored several times (a byte appended: a new run each),
                # so that every load reads a run the server has not cached yet.
                raw = stream.read_bytes()
                for copy in range(repeat + 1):
                    store.ingest(raw + b"\n" * (copy + 1), source_name=stream.name)
            with dashboard("--db", db) as url:
                page.goto(f"{url}/build/1")
                page.wait_for_selector("#gantt .barlayer .point path", state="attached")
                page.wait_for_function(WAIT_IDLE, timeout=TIMEOUT_MS)
                refs = [str(run) for run in range(2, repeat + 2)]
                results["history"] = measure_build(page, url, refs)
                report(f"build page, history: {results['history']}")
    finally:
        browser.close()
    return results


def history_with_big_build(folder: Path) -> str:
    """A SQLite history holding the 5,000-step build once (made once, then reused)."""
    from profiler.store import Store

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "dashboard-big-history.db"
    db = f"sqlite:///{path}"
    if not path.exists():
        stream = big_stream()
        report(f"storing {stream.name} in {path.name} (once)")
        with Store(db) as store:
            store.ingest(stream.read_bytes(), source_name=stream.name)
    return db


def largest_responses(responses: list[Any]) -> dict[str, Any]:
    """The largest body received, decoded and as sent (gzip), and its URL."""
    sizes = []
    for response in responses:
        try:
            body = len(response.body())
            sent = response.request.sizes()["responseBodySize"]
        except Exception:  # a redirect or a failed request has no body
            continue
        sizes.append((body, sent, response.url))
    sizes.sort(reverse=True)
    body, sent, url = sizes[0]
    data = [s for s in sizes if "/_dash-update-component" in s[2] or "/_dash-layout" in s[2]]
    return {
        "largest_bytes": body,
        "largest_sent_bytes": sent,
        "largest_url": url.split("?")[0].rsplit("/", 1)[-1],
        "largest_data_bytes": data[0][0] if data else 0,
        "total_sent_bytes": sum(s[1] for s in sizes),
    }


def bench_cold(
    playwright: Any, repeat: int, folder: Path, baseline: Path | None = None
) -> dict[str, Any]:
    """Fresh server, new browser context (empty cache) each time: the first visit of a
    user to the 5,000-step build of the history, until its first chart is drawn.
    With ``baseline`` (another checkout), its server is measured too, load for load in
    turn, so that both see the same machine."""
    db = history_with_big_build(folder)
    browser = launch(playwright)
    results: dict[str, Any] = {}
    repos = {"this": REPO, **({"baseline": baseline} if baseline else {})}
    results["load_average"] = {"start": round(os.getloadavg()[0], 1)}
    try:
        for _ in range(repeat):
            for name, repo in repos.items():
                seconds, sizes, phases = _cold_load(browser, db, repo)
                entry = results.setdefault(name, {"samples": [], "phases": []})
                entry["samples"].append(seconds)
                entry["phases"].append(phases)
                entry.update(sizes)
                report(f"cold build page ({name}): {seconds:.2f} s, {phases}, {sizes}")
    finally:
        browser.close()
    results["load_average"]["end"] = round(os.getloadavg()[0], 1)
    for name in repos:
        entry = results[name]
        entry["first_chart"] = summary(entry.pop("samples"))
        phases = entry.pop("phases")
        entry["phases_median_s"] = {
            key: round(statistics.median(p[key] for p in phases), 3) for key in phases[0]
        }
    if baseline:
        results["ratio"] = round(
            results["this"]["first_chart"]["median_s"]
            / results["baseline"]["first_chart"]["median_s"],
            3,
        )
    return results


def _cold_load(browser: Any, db: str, repo: Path) -> tuple[float, dict[str, Any]]:
    with dashboard("--db", db, repo=repo) as url:
        context = browser.new_context(viewport={"width": 1440, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        responses: list[Any] = []
        page.on("response", lambda response, kept=responses: kept.append(response))
        began = time.perf_counter()
        page.goto(f"{url}/build/1")
        page.wait_for_selector(FIRST_CHART, state="attached")
        seconds = time.perf_counter() - began
        phases = page.evaluate(PHASES)
        page.wait_for_function(WAIT_IDLE, timeout=TIMEOUT_MS)
        sizes = largest_responses(responses)
        context.close()
    return seconds, sizes, phases


PHASES = """() => {
    // Seconds from the navigation's start: where a first visit's time goes.
    const at = (ms) => Math.round(ms) / 1000;
    const [nav] = performance.getEntriesByType("navigation");
    const router = performance.getEntriesByType("resource")
        .find((entry) => entry.name.includes("/_dash-update-component"));
    return {
        scripts_evaluated: at(nav.domContentLoadedEventEnd),
        router_sent: router ? at(router.startTime) : null,
        router_answered: router ? at(router.responseEnd) : null,
        first_chart_seen: at(performance.now()),  // once Playwright saw it
    };
}"""


def bench_runs(playwright: Any, repeat: int, keep: Path | None, runs: int) -> dict[str, Any]:
    folder = keep or Path(tempfile.mkdtemp(prefix="kitprof-bench-history-"))
    db = fill_history(folder, runs)
    results: dict[str, Any] = {"runs": runs}
    browser = launch(playwright)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        with dashboard("--db", db) as url:
            measure_page(page, url + "/", runs_ready, 1)  # warm
            results["first_page"] = measure_page(page, url + "/", runs_ready, repeat)
            results["page_150"] = measure_page(page, url + "/?page=150", runs_ready, repeat)
            results["branch_develop"] = measure_page(
                page, url + "/?branch=develop", runs_ready, repeat
            )
            report(f"runs page: {results}")
    finally:
        browser.close()
        if keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--only", choices=("build", "runs", "cold"))
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--keep", type=Path, help="folder of a history to fill once and reuse")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--baseline", type=Path, help="with --only cold: another checkout, measured in turn"
    )
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    figures: dict[str, Any] = {}
    with sync_playwright() as playwright:
        if args.only in (None, "cold"):
            figures["build_page_cold"] = bench_cold(
                playwright, max(3, args.repeat), OUT, args.baseline
            )
        if args.only in (None, "build"):
            figures["build_page_5000_steps"] = bench_build(playwright, args.repeat)
        if args.only in (None, "runs"):
            figures["runs_page"] = bench_runs(playwright, args.repeat, args.keep, args.runs)
    text = orjson.dumps(figures, option=orjson.OPT_INDENT_2).decode()
    print(text)
    if args.json:
        args.json.write_text(text + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
