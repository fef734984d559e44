"""Types of step inputs and outputs."""

from typing import Any, Dict, Iterator, List, Tuple, Union

StepColumns = Union[List[str], Dict[str, bool]]
"""The columns a step reads or writes: a list (all required) or names mapped to
whether each is required."""

StepOutput = Iterator[List[Dict[str, Any]]]
"""What ``Step.process`` yields: batches of rows."""

GeneratorStepOutput = Iterator[Tuple[List[Dict[str, Any]], bool]]
"""What ``GeneratorStep.process`` yields: batches of rows, each with whether it is the last."""

__all__ = ["GeneratorStepOutput", "StepColumns", "StepOutput"]
