"""Benchmark-only probe: when each Prefect task body ran, and how long Prefect's engine took around it.

Python imports ``sitecustomize`` at start-up from ``sys.path``; the benchmark puts ``bench/hooks`` on
``PYTHONPATH`` of the processes it measures, so the probe rides along without any change to the
pipeline. It does nothing unless ``SPARKIFY_BENCH_TRACE`` names a file. It does not import Prefect
itself: when (and if) the process imports ``prefect.task_engine``, two of that module's functions are
wrapped:

* ``call_with_parameters``, which the engine uses to call the task's function: its start and end
  are the task body's;
* ``run_task_sync``, which runs one task run from creating it to returning its result: its duration
  minus the body's is the time Prefect spent on that task run in this process.

Each task run appends one JSON line to the trace file. The wrappers cost a few microseconds.
"""

from __future__ import annotations

import os

_TRACE = os.environ.get("SPARKIFY_BENCH_TRACE")

if _TRACE:
    import importlib.abc
    import importlib.machinery
    import json
    import sys
    import threading
    import time
    from types import ModuleType
    from typing import Any

    _local = threading.local()
    _lock = threading.Lock()

    def _append(record: dict[str, Any]) -> None:
        line = json.dumps(record) + "\n"
        with _lock, open(_TRACE, "a", encoding="utf-8") as trace:
            trace.write(line)

    def _patch(engine: ModuleType) -> None:
        call_with_parameters = engine.call_with_parameters
        run_task_sync = engine.run_task_sync

        def timed_body(fn: Any, parameters: Any, *args: Any, **kwargs: Any) -> Any:
            start = time.time()
            try:
                return call_with_parameters(fn, parameters, *args, **kwargs)
            finally:
                end = time.time()
                context = engine.TaskRunContext.get()
                _local.body = {
                    "task_run_id": str(context.task_run.id) if context else None,
                    "task_run": context.task_run.name if context else None,
                    "task": context.task.name if context else getattr(fn, "__name__", "?"),
                    "flow_run_id": str(context.task_run.flow_run_id) if context else None,
                    "body_start": start,
                    "body_end": end,
                }

        def timed_engine(*args: Any, **kwargs: Any) -> Any:
            _local.body = None
            start = time.time()
            try:
                return run_task_sync(*args, **kwargs)
            finally:
                end = time.time()
                body = _local.body or {}
                _append(
                    {
                        **body,
                        "engine_start": start,
                        "engine_end": end,
                        "thread": threading.current_thread().name,
                        "pid": os.getpid(),
                    }
                )

        engine.call_with_parameters = timed_body
        engine.run_task_sync = timed_engine

    class _PatchTaskEngine(importlib.abc.MetaPathFinder):
        """Finds ``prefect.task_engine`` as usual, then patches the module right after it executes."""

        def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
            if name != "prefect.task_engine":
                return None
            spec = importlib.machinery.PathFinder.find_spec(name, path)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_and_patch(module: ModuleType) -> None:
                exec_module(module)
                if all(hasattr(module, name) for name in ("call_with_parameters", "run_task_sync", "TaskRunContext")):
                    _patch(module)  # another Prefect: no probe, and the benchmark reports the per-task figures n/a

            spec.loader.exec_module = exec_and_patch  # type: ignore[method-assign]
            return spec

    sys.meta_path.insert(0, _PatchTaskEngine())
