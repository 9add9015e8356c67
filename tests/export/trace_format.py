"""A checker of the Chrome Trace Event Format, written from its documented rules.

Rules from "Trace Event Format" (the document catapult and Perfetto cite), for the
JSON Object Format and the event types kitprof writes; anything else is refused so
that a new kind of event needs a new rule here:

- the file is an object whose ``traceEvents`` is a list of events; ``displayTimeUnit``
  is ``"ms"`` or ``"ns"``; ``otherData`` is an object;
- every event has a string ``ph``; ``pid`` and ``tid`` are integers; ``args``, if
  present, is an object; ``ts`` is a number of microseconds;
- complete events (``X``) have ``name``, ``cat``, ``ts`` and a ``dur`` >= 0; on one
  thread (pid, tid) they must nest: two slices either do not overlap or one contains
  the other;
- instant events (``i``/``I``) have ``name``, ``ts`` and a scope ``s`` in ``g``,
  ``p``, ``t``;
- metadata events (``M``) are ``process_name``/``thread_name`` (``args.name`` a
  string), ``process_sort_index``/``thread_sort_index`` (``args.sort_index`` an
  integer) or ``process_labels``; thread metadata names a ``tid``;
- flow events (``s``, ``t``, ``f``) have ``name``, ``cat`` and an ``id``; a flow
  (same cat, name, id) starts with one ``s`` and ends with one ``f``, its events in
  time order; ``bp``, if present, is ``"e"``; ``s`` and ``t`` bind to the slice that
  encloses them on their thread, as does ``f`` with ``bp: "e"``, so there must be one.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

METADATA_NAMES = {
    "process_name": "name",
    "thread_name": "name",
    "process_sort_index": "sort_index",
    "thread_sort_index": "sort_index",
    "process_labels": "labels",
}
KNOWN_PHASES = {"X", "i", "I", "M", "s", "t", "f"}
# Timestamps are decimal microseconds: ts + dur may miss the next ts by a rounding.
ROUNDING = 0.01


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def validate_trace(document: object) -> list[str]:
    """Every rule the document breaks, as messages (empty: valid)."""
    if not isinstance(document, dict):
        return ["the trace is not a JSON object"]
    errors: list[str] = []
    events = document.get("traceEvents")
    if not isinstance(events, list):
        return ["traceEvents is not a list"]
    if "displayTimeUnit" in document and document["displayTimeUnit"] not in ("ms", "ns"):
        errors.append(f"displayTimeUnit {document['displayTimeUnit']!r} is not ms or ns")
    if "otherData" in document and not isinstance(document["otherData"], dict):
        errors.append("otherData is not an object")
    slices: dict[tuple[int, int], list[tuple[float, float]]] = defaultdict(list)
    flows: dict[tuple[str, str, object], list[dict[str, Any]]] = defaultdict(list)
    for number, event in enumerate(events):
        where = f"event {number}"
        if not isinstance(event, dict):
            errors.append(f"{where} is not an object")
            continue
        phase = event.get("ph")
        if phase not in KNOWN_PHASES:
            errors.append(f"{where}: unknown or missing ph {phase!r}")
            continue
        if not _is_int(event.get("pid")):
            errors.append(f"{where}: pid is not an integer")
        if "tid" in event and not _is_int(event["tid"]):
            errors.append(f"{where}: tid is not an integer")
        if "args" in event and not isinstance(event["args"], dict):
            errors.append(f"{where}: args is not an object")
        if phase == "M":
            errors.extend(_metadata(event, where))
            continue
        if not _is_int(event.get("tid")):
            errors.append(f"{where}: tid is not an integer")
        if not _is_number(event.get("ts")) or event["ts"] < 0:
            errors.append(f"{where}: ts is not a non-negative number")
            continue
        if not isinstance(event.get("name"), str):
            errors.append(f"{where}: name is not a string")
        thread = (event.get("pid"), event.get("tid"))
        if phase == "X":
            if not isinstance(event.get("cat"), str):
                errors.append(f"{where}: cat is not a string")
            if not _is_number(event.get("dur")) or event["dur"] < 0:
                errors.append(f"{where}: dur is not a non-negative number")
                continue
            slices[thread].append((event["ts"], event["ts"] + event["dur"]))
        elif phase in ("i", "I"):
            if event.get("s", "t") not in ("g", "p", "t"):
                errors.append(f"{where}: instant scope {event.get('s')!r} is not g, p or t")
        else:
            if "id" not in event or not isinstance(event.get("cat"), str):
                errors.append(f"{where}: flow event without id or cat")
                continue
            if "bp" in event and event["bp"] != "e":
                errors.append(f"{where}: bp {event['bp']!r} is not 'e'")
            flows[(event["cat"], event.get("name", ""), event["id"])].append(event)
    for thread, spans in slices.items():
        errors.extend(_nesting(thread, spans))
    for key, members in flows.items():
        errors.extend(_flow(key, members, slices))
    return errors


def _metadata(event: dict[str, Any], where: str) -> list[str]:
    name = event.get("name")
    if name not in METADATA_NAMES:
        return [f"{where}: unknown metadata {name!r}"]
    args = event.get("args")
    if not isinstance(args, dict):
        return [f"{where}: metadata without args"]
    key = METADATA_NAMES[name]
    value = args.get(key)
    errors = []
    if key == "name" and not isinstance(value, str):
        errors.append(f"{where}: {name} args.name is not a string")
    if key == "sort_index" and not _is_int(value):
        errors.append(f"{where}: {name} args.sort_index is not an integer")
    if str(name).startswith("thread_") and not _is_int(event.get("tid")):
        errors.append(f"{where}: {name} names no thread")
    return errors


def _nesting(thread: tuple[Any, Any], spans: list[tuple[float, float]]) -> list[str]:
    errors = []
    stack: list[tuple[float, float]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -s[1])):
        while stack and stack[-1][1] <= start + ROUNDING:
            stack.pop()
        if stack and end > stack[-1][1] + ROUNDING and start < stack[-1][1] - ROUNDING:
            errors.append(
                f"thread {thread}: slice {start}-{end} overlaps {stack[-1]} without nesting"
            )
        stack.append((start, end))
    return errors


def _encloses(spans: list[tuple[float, float]], ts: float) -> bool:
    return any(start <= ts <= end for start, end in spans)


def _flow(
    key: tuple[str, str, object],
    members: list[dict[str, Any]],
    slices: dict[tuple[int, int], list[tuple[float, float]]],
) -> list[str]:
    phases = [event["ph"] for event in members]
    errors = []
    if phases.count("s") != 1 or phases.count("f") != 1:
        errors.append(f"flow {key}: needs one 's' and one 'f', has {phases}")
    ordered = sorted(members, key=lambda e: {"s": 0, "t": 1, "f": 2}[e["ph"]])
    times = [event["ts"] for event in ordered]
    if times != sorted(times):
        errors.append(f"flow {key}: events not in time order")
    for event in members:
        binds_enclosing = event["ph"] in ("s", "t") or event.get("bp") == "e"
        thread = (event.get("pid"), event.get("tid"))
        if binds_enclosing and not _encloses(slices.get(thread, []), event["ts"]):
            errors.append(f"flow {key}: {event['ph']} at {event['ts']} has no enclosing slice")
    return errors
