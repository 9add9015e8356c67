"""The task graph the what-if simulator replays, and the changes a suggestion makes to it.

A :class:`TaskGraph` is an immutable copy of a build's dependency graph; each method
returns a new graph: an edge removed, a step cached or made faster, a step moved
elsewhere in its stage's chain, steps split off into new stages joined back by
``COPY --from``. :func:`profiler.suggest.simulate.simulate` gives its wall time.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Task:
    """One vertex of the simulated graph."""

    id: str
    duration: float
    """Work in seconds at full speed (the vertex's busy time, unless changed)."""
    predecessors: tuple[str, ...] = ()
    release: float = 0.0
    """Earliest start: the observed start offset of a vertex that waits for nothing."""
    cpu: bool = False
    """Contends for cores when the simulation is given ``cores``."""
    delay: float | None = None
    """Seconds between its predecessors finishing and its start, if it has its own.

    ``None``: the simulation's ``latency``. Bookkeeping vertices the stream leaves
    unconnected (definition and metadata loads, the exporter) keep the gap observed
    before them: it is client or frontend work the graph does not show.
    """
    label: str = ""


@dataclass(frozen=True)
class TaskGraph:
    """An immutable task graph; every change returns a new graph."""

    tasks: Mapping[str, Task]

    def __contains__(self, task_id: object) -> bool:
        return task_id in self.tasks

    def __getitem__(self, task_id: str) -> Task:
        return self.tasks[task_id]

    def __iter__(self) -> Iterator[Task]:
        return iter(self.tasks.values())

    def __len__(self) -> int:
        return len(self.tasks)

    def _with(self, *changed: Task, drop: Iterable[str] = ()) -> TaskGraph:
        tasks = dict(self.tasks)
        for task_id in drop:
            tasks.pop(task_id, None)
        for task in changed:
            tasks[task.id] = task
        return TaskGraph(tasks)

    def successors(self, task_id: str) -> list[str]:
        return [t.id for t in self.tasks.values() if task_id in t.predecessors]

    def with_duration(self, task_id: str, seconds: float) -> TaskGraph:
        """The task made faster (or slower): it now takes ``seconds``."""
        return self._with(replace(self.tasks[task_id], duration=max(0.0, seconds)))

    def cached(self, task_ids: Iterable[str], cost: float = 0.0) -> TaskGraph:
        """The tasks come from the cache: each takes ``cost`` seconds."""
        return self._with(*(replace(self.tasks[t], duration=cost) for t in task_ids))

    def without_edge(self, task_id: str, predecessor: str) -> TaskGraph:
        """The task no longer waits for ``predecessor``."""
        task = self.tasks[task_id]
        kept = tuple(p for p in task.predecessors if p != predecessor)
        return self._with(replace(task, predecessors=kept))

    def with_predecessors(self, task_id: str, predecessors: Sequence[str]) -> TaskGraph:
        return self._with(replace(self.tasks[task_id], predecessors=tuple(predecessors)))

    def replace_predecessor(self, task_id: str, old: str, new: str | None) -> TaskGraph:
        """The task waits for ``new`` where it waited for ``old`` (``None``: for nothing)."""
        task = self.tasks[task_id]
        predecessors: list[str] = []
        for p in task.predecessors:
            candidate = new if p == old else p
            if candidate is not None and candidate not in predecessors and candidate != task_id:
                predecessors.append(candidate)
        return self._with(replace(task, predecessors=tuple(predecessors)))

    def with_task(self, task: Task) -> TaskGraph:
        return self._with(task)

    def without_tasks(self, task_ids: Iterable[str]) -> TaskGraph:
        """The tasks are not run at all; whatever waited for them waits for their inputs."""
        removed = set(task_ids)
        inherited: dict[str, tuple[str, ...]] = {}

        def resolve(task_id: str, seen: frozenset[str] = frozenset()) -> tuple[str, ...]:
            if task_id not in removed:
                return (task_id,)
            if task_id in inherited:
                return inherited[task_id]
            result: list[str] = []
            for p in self.tasks[task_id].predecessors:
                if p in seen:
                    continue
                for q in resolve(p, seen | {task_id}):
                    if q not in result:
                        result.append(q)
            inherited[task_id] = tuple(result)
            return inherited[task_id]

        changed = []
        for task in self.tasks.values():
            if task.id in removed or not removed.intersection(task.predecessors):
                continue
            predecessors: list[str] = []
            for p in task.predecessors:
                for q in resolve(p):
                    if q not in predecessors:
                        predecessors.append(q)
            changed.append(replace(task, predecessors=tuple(predecessors)))
        return self._with(*changed, drop=removed)

    def move_before(self, task_id: str, anchor: str, chain_predecessor: str) -> TaskGraph:
        """Move a task up its stage's chain, to just before ``anchor``.

        ``chain_predecessor`` is the task ``task_id`` follows in the chain today (its
        first input in BuildKit's graph). Afterwards the task waits for what
        ``anchor`` waited for in the chain, ``anchor`` waits for the task, and
        whatever followed the task now follows ``chain_predecessor``. The task keeps
        its other inputs (the build context, a ``COPY --from`` source).
        """
        task = self.tasks[task_id]
        anchored = self.tasks[anchor]
        anchor_chain = anchored.predecessors[0] if anchored.predecessors else None
        graph = self
        for successor in self.successors(task_id):
            graph = graph.replace_predecessor(successor, task_id, chain_predecessor)
        others = [p for p in task.predecessors if p != chain_predecessor]
        new_predecessors = ([anchor_chain] if anchor_chain else []) + others
        graph = graph.with_predecessors(task_id, [p for p in new_predecessors if p != task_id])
        anchored_now = graph.tasks[anchor]
        rest = [p for p in anchored_now.predecessors if p != anchor_chain]
        return graph.with_predecessors(anchor, [task_id, *rest])

    def split_chain(
        self,
        branches: Sequence[Sequence[str]],
        base: str | None,
        join_cost: float,
        join_prefix: str = "join",
        joins_per_branch: Sequence[int] | None = None,
    ) -> TaskGraph:
        """Run consecutive chain segments as parallel stages joined by ``COPY --from``.

        ``branches`` are the segments in chain order (each a list of task ids in chain
        order, the whole forming one consecutive run of a stage's chain); ``base`` is
        the task the first segment follows today (the new stages start from it). The
        last segment stays in the stage; every other one becomes its own stage, and
        its result is copied in after the last segment (``joins_per_branch[i]``
        ``COPY --from`` steps of ``join_cost`` seconds each). Whatever followed the
        run now follows the last join.
        """
        if len(branches) < 2:
            return self
        first_ids = [branch[0] for branch in branches]
        last_of_run = branches[-1][-1]
        chain_links = {branch[0]: self._chain_before(branch[0]) for branch in branches}
        graph: TaskGraph = self
        for first in first_ids:
            old = chain_links[first]
            if old is None:
                continue
            graph = graph.replace_predecessor(first, old, base)
        joins: list[str] = []
        counts = list(joins_per_branch) if joins_per_branch is not None else [1] * len(branches)
        previous = last_of_run
        for index, branch in enumerate(branches[:-1]):
            for copy in range(max(1, counts[index])):
                join_id = f"{join_prefix}:{index + 1}.{copy + 1}"
                graph = graph.with_task(
                    Task(
                        id=join_id,
                        duration=join_cost,
                        predecessors=(previous, branch[-1]),
                        label=f"COPY --from=<new stage {index + 1}>",
                    )
                )
                joins.append(join_id)
                previous = join_id
        if not joins:
            return graph
        for successor in self.successors(last_of_run):
            if successor in joins:
                continue
            graph = graph.replace_predecessor(successor, last_of_run, previous)
        return graph

    def _chain_before(self, task_id: str) -> str | None:
        predecessors = self.tasks[task_id].predecessors
        return predecessors[0] if predecessors else None
