"""Running a pipeline locally: ``Pipeline.run``, the entry point of the engine.

A run validates the pipeline and its parameters, takes the run folder, sets up
logging, resumes and caches (``run_resources.py``), then drives every step on one
asyncio event loop (``scheduler.py``, started by ``runtime.loops.run_coroutine``)
and builds the ``Distiset`` from the leaves' stores. How it ends is decided here:

- Ctrl-C cancels the coroutines; the stores already hold every finished row, and
  the ``KeyboardInterrupt`` raised, uncaught, prints one line saying how many rows
  were saved, where, and that running again resumes.
- Never pay twice: unless ``use_cache=False``, every task's LLM answers repeated
  requests from the pipeline's response cache, and a run resumes from the rows
  earlier runs stored (``resume.py``).
- A run stops cleanly, keeping its rows, when an offline batch job is not finished
  yet (its ids are recorded and polled by the next run), when an LLM's circuit
  breaker opens, or when ``max_budget`` has no room for the next request
  (``runtime/budget.py``; the run returns the finished rows, its summary says
  ``budget_exceeded``).
- ``estimate()`` runs a sample and says what the whole run may take and cost (``estimate.py``).
- ``last_run_summary`` (and ``summary.json`` in the run folder) says what the run
  produced and what it cost. A run in which a task got no answer for any row is not
  "finished": its summary says ``failed`` and ``run()`` raises
  ``DistilabelRunFailedError`` (holding the kept rows), so a script exits non-zero.
"""

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Optional

from distilabel.exceptions import (
    DistilabelCircuitOpenError,
    DistilabelOfflineBatchGenerationNotFinishedException,
)
from distilabel.pipeline.base import BasePipeline
from distilabel.pipeline.run_resources import RunResources
from distilabel.pipeline.scheduler import Scheduler
from distilabel.runtime.budget import DistilabelBudgetExceededError
from distilabel.runtime.loops import run_coroutine
from distilabel.utils.logging import log_level_from_env

if TYPE_CHECKING:
    from distilabel.distiset import Distiset
    from distilabel.pipeline.estimate import RunEstimate
    from distilabel.pipeline.executors import StepExecutor
    from distilabel.pipeline.ray import RayPipeline
    from distilabel.typing.pipeline import InputDataset

logger = logging.getLogger("distilabel.pipeline")


class Pipeline(BasePipeline):
    """A pipeline run by the local asyncio engine.

    ```python
    with Pipeline(name="text-generation-pipeline") as pipeline:
        load = LoadDataFromDicts(data=[{"instruction": "..."}])
        generate = TextGeneration(llm=OpenAILLM(model="gpt-4"))
        load >> generate

    distiset = pipeline.run(parameters={generate.name: {"llm": {"generation_kwargs": {"temperature": 0.3}}}})
    ```
    """

    def run(
        self,
        parameters: Optional[Dict[str, Dict[str, Any]]] = None,
        load_groups: Any = None,
        use_cache: bool = True,
        storage_parameters: Optional[Dict[str, Any]] = None,
        use_fs_to_pass_data: bool = False,
        dataset: Optional["InputDataset"] = None,
        dataset_batch_size: int = 50,
        logging_handlers: Optional[List[logging.Handler]] = None,
        max_budget: Optional[float] = None,
        retry_failed: bool = False,
    ) -> "Distiset":
        """Run the pipeline and return its output as a ``Distiset``.

        Args:
            parameters: runtime parameters per step name, e.g.
                ``{"text_generation": {"llm": {"generation_kwargs": {"temperature": 0.3}}}}``.
            load_groups: steps to load, run and unload together, one group after the other,
                so that steps that do not fit in memory together (two local models) run in
                turn: a list of groups (lists of steps or step names) or
                ``"sequential_step_execution"`` (one step at a time). Steps in no group, and
                global steps, get stages of their own as in distilabel 1.5 (see
                ``get_load_stages``). Default: every step is loaded at the start.
            use_cache: whether work of a previous run of the same pipeline may be reused.
            storage_parameters: ignored (with a warning): rows are stored in the run folder.
            use_fs_to_pass_data: ignored (with a warning): rows pass in memory.
            dataset: rows to feed to the steps that have no generator upstream.
            dataset_batch_size: batch size of the generator made from ``dataset``.
            logging_handlers: extra handlers for the run's log records.
            max_budget: the most this run may spend on new requests, in US dollars, over
                all its LLMs. Each request reserves its worst case (prompt estimate and
                ``max_new_tokens`` at the model's prices) before it is sent, so requests in
                flight count; when the next one does not fit, the run stops cleanly: it
                returns the finished rows, ``last_run_summary.status`` is
                ``"budget_exceeded"``, and running again (with a budget for the rest)
                resumes without paying again for finished rows or cached answers. Every
                model needs a price (the ``genai-prices`` table, or the LLM's
                ``cost_per_million_tokens``); local models cost 0. See docs/cost_and_budgets.md.
            retry_failed: send every row that failed in an earlier run again. By default a
                rerun sends again only the rows that failed for a transient reason (rate
                limits, server errors, timeouts) and keeps those the provider refused
                (HTTP 4xx, bad input, content filter) as they are. Finished rows are never
                sent again either way.

        Raises:
            DistilabelUserError: the pipeline or the parameters are invalid (nothing ran),
                an LLM cannot reach its server at all, or ``max_budget`` is set and a
                model has no known price.
            DistilabelRunFailedError: a task got no answer for any of its rows (e.g. every
                request failed). It is raised after the summary is written, and holds the
                rows in ``distiset``; a script that does not catch it exits non-zero.
            KeyboardInterrupt: Ctrl-C; the finished rows are kept and the next run of the
                same pipeline resumes from them. Uncaught, it prints one line (how many
                rows were saved, where, how to resume) instead of a traceback.
        """
        self._warn_ignored_parameters(None, storage_parameters, use_fs_to_pass_data)
        return self._run(
            parameters,
            use_cache,
            dataset,
            dataset_batch_size,
            logging_handlers,
            dry_run=False,
            load_groups=load_groups,
            max_budget=max_budget,
            retry_failed=retry_failed,
        )

    def dry_run(
        self, parameters: Optional[Dict[str, Dict[str, Any]]] = None, batch_size: int = 1
    ) -> "Distiset":
        """Run the pipeline on the first ``batch_size`` rows of each generator, without the cache."""
        from distilabel.steps.base import GeneratorStep

        self._warn_ignored_parameters()
        generators = [s for s in self.dag.steps.values() if isinstance(s, GeneratorStep)]
        saved = {s.name: s.batch_size for s in generators}
        try:
            for step in generators:
                step.batch_size = batch_size
            return self._run(parameters, False, None, 50, None, dry_run=True)
        finally:
            for step in generators:
                step.batch_size = saved[step.name]

    def estimate(
        self, sample: int = 5, parameters: Optional[Dict[str, Dict[str, Any]]] = None
    ) -> "RunEstimate":
        """What the whole run may cost, from a run on a sample: tokens and dollars per row, extrapolated.

        Runs the pipeline on the first ``sample`` rows of each generator like ``dry_run``
        (its own run folder, no cache: the sample's requests are really sent and paid),
        then scales each step's tokens and cost per generator row to the generators'
        ``total_rows``. Where a generator cannot say how many rows it makes, the
        estimate gives the per-row figures only.

        Args:
            sample: rows to take from each generator.
            parameters: runtime parameters, as for ``run``.

        Returns:
            A ``RunEstimate``; ``print()`` it for a table.
        """
        from distilabel.pipeline.estimate import estimate_run

        return estimate_run(self, sample, parameters)

    def _run(
        self,
        parameters: Optional[Dict[str, Dict[str, Any]]],
        use_cache: bool,
        dataset: Optional["InputDataset"],
        dataset_batch_size: int,
        logging_handlers: Optional[List[logging.Handler]],
        dry_run: bool,
        load_groups: Any = None,
        max_budget: Optional[float] = None,
        retry_failed: bool = False,
    ) -> "Distiset":
        from distilabel.pipeline.load_stages import engine_stages

        if dataset is not None:
            self._with_dataset(dataset, dataset_batch_size)
        self._apply_parameters(parameters)
        order = self.validate()
        stages = engine_stages(self, load_groups)  # a bad group stops the run before anything is written
        run_dir = self._prepare_run_dir(order, "dry_run" if dry_run else "")
        # Held until the dataset is built: no other run may write this folder meanwhile.
        run = RunResources(
            self,
            order,
            run_dir,
            use_cache and not dry_run,
            lock=self._take_run_lock(),
            max_budget=max_budget,
            retry_failed=retry_failed,
        )
        root = logging.getLogger("distilabel")
        handlers = [logging.FileHandler(run_dir / "pipeline.log"), *(logging_handlers or [])]
        if not root.handlers and not logging.getLogger().handlers:
            handlers.append(logging.StreamHandler())  # a person running a script sees progress
        for handler in handlers:
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            root.addHandler(handler)
        level_before, env_level = root.level, log_level_from_env()
        if env_level is not None:
            root.setLevel(env_level)  # DISTILABEL_LOG_LEVEL, for this run
        elif root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        distiset: Optional[Distiset] = None
        try:
            resume = run.prepare()
            engine = Scheduler(
                self, order, run_dir, dry_run=dry_run, resume=resume, stages=stages, executor=self._executor()
            )
            run.watch(engine.progress)
            try:
                run_coroutine(engine.run())
            except DistilabelBudgetExceededError as error:
                run.finish(engine, "budget_exceeded", str(error))
                distiset = self._build_distiset(run_dir)
            except DistilabelOfflineBatchGenerationNotFinishedException:
                run.finish(engine, "waiting_for_batch_jobs")
                distiset = self._build_distiset(run_dir)
            except DistilabelCircuitOpenError as error:
                run.finish(engine, "circuit_open", f"{error}\nThe finished rows are kept in {run_dir / 'steps'}.")
                raise
            except KeyboardInterrupt:
                raise run.interrupted(engine) from None
            except asyncio.CancelledError:
                run.finish(engine, "interrupted", f"Interrupted: the rows finished so far are in {run_dir / 'steps'}")
                raise
            except Exception as error:
                run.finish(engine, "failed", f"Stopped by an error: {error}", quiet=True)
                raise
            else:
                # Built before the run says it finished: a run without its dataset did not.
                try:
                    distiset = self._build_distiset(run_dir)
                except Exception as error:
                    run.finish(
                        engine,
                        "failed",
                        f"The dataset could not be built: {error}\nThe rows are kept in {run_dir / 'steps'}.",
                    )
                    raise
                summary = run.finish(engine, "finished")
                if summary.status == "failed":
                    raise run.failure(summary, distiset)
        finally:
            run.close()
            for handler in handlers:
                root.removeHandler(handler)
                handler.close()
            if env_level is not None:
                root.setLevel(level_before)
        return distiset  # type: ignore[return-value]

    def ray(
        self, ray_head_node_url: Optional[str] = None, ray_init_kwargs: Optional[Dict[str, Any]] = None
    ) -> "RayPipeline":
        """This pipeline as a ``RayPipeline``: the same steps, their work in Ray actors.

        Args:
            ray_head_node_url: the Ray cluster to connect to; by default the one
                ``RAY_ADDRESS`` names, else a new local cluster.
            ray_init_kwargs: more keyword arguments for ``ray.init``.
        """
        from distilabel.pipeline.ray import ray_pipeline_from

        return ray_pipeline_from(self, ray_head_node_url, ray_init_kwargs)

    def _executor(self) -> Optional["StepExecutor"]:
        """Where the steps' work runs (``None``: in this process); ``RayPipeline`` runs it on Ray."""
        return None

    def _build_distiset(self, run_dir: Path) -> "Distiset":
        from distilabel.distiset import create_distiset

        return create_distiset(
            run_dir,
            {name: run_dir / "steps" / name for name in self.dag.leaves},
            enable_metadata=self._enable_metadata,
            pipeline_path=run_dir / "pipeline.yaml",
            log_filename_path=run_dir / "pipeline.log",
        )


__all__ = ["Pipeline"]
