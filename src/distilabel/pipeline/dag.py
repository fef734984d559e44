"""The graph of a pipeline: steps by name and the edges between them."""

from typing import TYPE_CHECKING, Dict, Iterator, List, Set

from distilabel.errors import DistilabelUserError

if TYPE_CHECKING:
    from distilabel.steps.base import _Step


class DAG:
    """Steps (nodes, by name) and who sends rows to whom (edges), in insertion order."""

    def __init__(self) -> None:
        self.steps: Dict[str, _Step] = {}
        self._successors: Dict[str, List[str]] = {}
        self._predecessors: Dict[str, List[str]] = {}

    def add_step(self, step: "_Step") -> None:
        name = step.name
        if name in self.steps:
            raise DistilabelUserError(
                f"A step named {name!r} already exists in this pipeline: step names must be unique."
            )
        self.steps[name] = step  # type: ignore[index]
        self._successors[name] = []  # type: ignore[index]
        self._predecessors[name] = []  # type: ignore[index]

    def count_prefix(self, prefix: str) -> int:
        """How many steps have a name ``{prefix}_<n>``, to infer the next name."""
        return sum(1 for name in self.steps if name.rsplit("_", 1)[0] == prefix)

    def add_edge(self, source: str, target: str) -> None:
        for name in (source, target):
            if name not in self.steps:
                raise DistilabelUserError(
                    f"Step {name!r} is not in this pipeline: create it inside the same `with Pipeline(...)` block."
                )
        if source == target:
            raise DistilabelUserError(f"Step {source!r} cannot be connected to itself (that would be a cycle).")
        if target not in self._successors[source]:
            self._successors[source].append(target)
            self._predecessors[target].append(source)

    def __iter__(self) -> Iterator[str]:
        return iter(self.steps)

    def __len__(self) -> int:
        return len(self.steps)

    def get(self, name: str) -> "_Step":
        return self.steps[name]

    def successors(self, name: str) -> List[str]:
        return list(self._successors[name])

    def predecessors(self, name: str) -> List[str]:
        return list(self._predecessors[name])

    @property
    def roots(self) -> List[str]:
        return [name for name in self.steps if not self._predecessors[name]]

    @property
    def leaves(self) -> List[str]:
        return [name for name in self.steps if not self._successors[name]]

    def edges(self) -> Iterator[tuple]:
        for source, targets in self._successors.items():
            for target in targets:
                yield source, target

    def ancestors(self, name: str) -> Set[str]:
        seen: Set[str] = set()
        stack = list(self._predecessors[name])
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self._predecessors[current])
        return seen

    def topological_order(self) -> List[str]:
        """Steps so that each comes after its predecessors; a cycle is an error naming its steps."""
        indegree = {name: len(preds) for name, preds in self._predecessors.items()}
        ready = [name for name, degree in indegree.items() if degree == 0]
        order: List[str] = []
        while ready:
            name = ready.pop(0)
            order.append(name)
            for successor in self._successors[name]:
                indegree[successor] -= 1
                if indegree[successor] == 0:
                    ready.append(successor)
        if len(order) != len(self.steps):
            raise DistilabelUserError(f"The pipeline has a cycle: {' -> '.join(self._find_cycle())}.")
        return order

    def _find_cycle(self) -> List[str]:
        state: Dict[str, int] = {}
        path: List[str] = []

        def visit(name: str) -> List[str]:
            state[name] = 1
            path.append(name)
            for successor in self._successors[name]:
                if state.get(successor) == 1:
                    return [*path[path.index(successor) :], successor]
                if successor not in state and (found := visit(successor)):
                    return found
            state[name] = 2
            path.pop()
            return []

        for name in self.steps:
            if name not in state and (cycle := visit(name)):
                return cycle
        return []
