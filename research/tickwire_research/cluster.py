"""Ray: local with `workers` CPUs by default, or an existing cluster at `address`. Every task is
a function of pipeline.py (or research/train.py) run remotely; results come back in submission
order, so what is written does not depend on which worker finished first."""
import os
import sys
import time

from . import CatalogueError, RESEARCH_DIR


def start(address=None, workers=2, quiet=True):
    import ray
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    os.environ.setdefault("RAY_ACCEPT_CLUSTER_USAGE_STATS", "0")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    env = {"env_vars": {"PYTHONPATH": RESEARCH_DIR + os.pathsep + os.environ.get("PYTHONPATH", ""),
                        "RAY_USAGE_STATS_ENABLED": "0"}}
    kw = dict(runtime_env=env, include_dashboard=False, log_to_driver=not quiet, logging_level="ERROR")
    try:
        if address:
            ray.init(address=address, **kw)
        else:
            ray.init(num_cpus=workers, **kw)
    except ConnectionError as e:
        raise CatalogueError(f"cannot reach the Ray cluster at {address}: {e}") from None
    import logging
    import ray.data
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    ray.data.DataContext.get_current().enable_progress_bars = False
    return ray


def worker_count(ray):
    return int(ray.cluster_resources().get("CPU", 0))


def run_tasks(ray, fn, calls, label, max_retries=3, num_cpus=1, fresh_worker=False):
    """Runs fn(*args) for each args in `calls` as Ray tasks (retried when a worker dies);
    returns the results in the order of `calls`, with a progress bar. `fresh_worker`: each task
    in a worker process of its own (a day's ingest leaves memory behind in the allocator; a
    reused worker's peak crept up by about 60 MB a day)."""
    remote = ray.remote(num_cpus=num_cpus, max_retries=max_retries, retry_exceptions=False,
                        max_calls=1 if fresh_worker else 0)(fn)
    refs = [remote.remote(*args) for args in calls]
    pending = list(refs)
    bar = progress(len(refs), label)
    t0 = time.time()
    while pending:
        done, pending = ray.wait(pending, num_returns=1)
        for r in done:
            ray.get(r)  # raise the first failure now
        bar.update(len(done))
    bar.close()
    results = ray.get(refs)
    return results, time.time() - t0


def progress(total, label):
    try:
        from tqdm import tqdm
        return tqdm(total=total, desc=label, unit="task", file=sys.stderr, disable=not sys.stderr.isatty())
    except ImportError:  # pragma: no cover
        class Bar:
            def update(self, n): pass
            def close(self): pass
        return Bar()
