"""The build's pool of layout workers, on the public `concurrent.futures` API.

Every piece opens on a recto, so its layout does not depend on where it lands: each chunk
(the display pages, the contents, a part title, a piece) is laid out on its own, in a worker
process (layout.py), and cached (cache.py). `run` lays out what the cache lacks, biggest
first, and offers each layout to the assembly while the workers go on.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait as futures_wait

from ...limits import CHUNK_SECONDS
from .cache import Cache, ChunkLayout, Job, lookup
from .layout import LayoutTimeout, lay_out, start_worker


class Pool:
    """The build's worker processes, started before the manuscript is read, so that they
    import WeasyPrint and load the fonts while the main process reads. One worker: every
    layout runs in the main process.

    `start` is the multiprocessing start method. The command line asks for "forkserver": its
    workers come from a small fork server that has imported WeasyPrint and nothing of the
    build (`set_forkserver_preload`), so a long book's workers take no more memory than a short
    one's; and since a worker's memory grows a little with each layout (in Pango and
    HarfBuzz, not in Python), each is replaced after `RENEW` layouts (`max_tasks_per_child`).
    A fork server's workers import the calling script's main module, as multiprocessing
    documents, so a script that calls `build()` needs an `if __name__ == "__main__"` guard
    for it. The default, "fork", needs none: its workers are forked from the caller, once,
    and live as long as the pool."""

    RENEW = 25  # layouts a fork server's worker does before it is replaced
    GRACE = 5.0  # seconds past its limit a layout stuck outside Python is given before its worker is stopped
    PRELOAD = ["anthology.writers.print.layout", "weasyprint", "weasyprint.text.fonts"]

    def __init__(self, workers: int | None = None, timeout: float | None = CHUNK_SECONDS, start: str = "fork"):
        self.workers = workers or default_workers()
        self.timeout = timeout  # seconds a chunk's layout may take (see time_limit), None: no limit
        self.keys: dict[Future, str] = {}
        self.executor = None
        self.guesses: dict[str, Future] = {}  # by digest: layouts that may be wanted later
        if self.workers > 1:
            context = multiprocessing.get_context(start)
            if start == "forkserver":
                context.set_forkserver_preload(self.PRELOAD)
                self.executor = ProcessPoolExecutor(self.workers, context, start_worker, (None,),
                                                    max_tasks_per_child=self.RENEW)
            else:
                self.executor = ProcessPoolExecutor(self.workers, context, start_worker, (os.getpid(),))
            for _ in range(self.workers):
                self.executor.submit(int)  # start them now

    @property
    def parallel(self) -> bool:
        return self.executor is not None

    def submit(self, job: Job) -> Future:
        future = self.executor.submit(lay_out, job, self.timeout)
        self.keys[future] = job.key
        return future

    def guess(self, jobs: list[Job]) -> None:
        """Start layouts that may be wanted: a later `run` that wants one takes its result,
        and those never wanted are stopped when the pool closes."""
        for job in jobs:
            if job.digest not in self.guesses:
                self.guesses[job.digest] = self.submit(job)

    def map(self, jobs: list[Job], idle=None):
        """The jobs' layouts in order; while one is not ready, `idle()` is called until it
        returns False (the main process's own work, done while the workers lay out). Jobs are
        given to the workers a few at a time, the first at once."""
        if self.executor is None:
            return map(functools.partial(lay_out, seconds=self.timeout), jobs)
        jobs = list(jobs)
        ahead = min(len(jobs), 2 * self.workers)
        futures = deque(self.guesses.pop(job.digest, None) or self.submit(job) for job in jobs[:ahead])
        return self._results(futures, jobs[ahead:], idle)

    def _results(self, futures: deque, rest: list[Job], idle):
        rest = deque(rest)
        running: dict[Future, float] = {}  # when each layout was first seen running
        while futures:
            head = futures[0]
            while not head.done():
                self._top_up(futures, rest)
                if idle is None or not idle():
                    futures_wait([f for f in futures if not f.done()], timeout=1.0, return_when=FIRST_COMPLETED)
                self._watch(futures, running)
            futures.popleft()
            self.keys.pop(head, None)
            self._top_up(futures, rest)
            yield head.result()

    def _watch(self, futures: deque, running: dict[Future, float]) -> None:
        """Stop the workers when a layout has run past its limit without stopping itself (stuck
        in a library's C code, where the worker's own alarm cannot interrupt it)."""
        if not self.timeout:
            return
        now = time.monotonic()
        for future in futures:
            if future.running():
                since = running.setdefault(future, now)
                # queued behind another layout at most: two limits, and some grace
                if now - since > 2 * self.timeout + self.GRACE:
                    self.stop_workers()
                    raise LayoutTimeout(self.keys.get(future, "?"), self.timeout)

    def _top_up(self, futures: deque, rest: deque) -> None:
        """Keep two layouts a worker given out (so none waits for the main process)."""
        while rest and sum(not f.done() for f in futures) < 2 * self.workers:
            job = rest.popleft()
            futures.append(self.guesses.pop(job.digest, None) or self.submit(job))

    def close(self) -> None:
        if self.executor is not None:
            if any(not f.done() for f in self.guesses.values()):
                self.stop_workers()  # a wrong guess: not worth waiting for
            self.executor.shutdown(cancel_futures=True)
            self.executor = None

    @staticmethod
    def stop_workers() -> None:
        """Stop the workers at once: the build's child processes are its pool's workers."""
        for process in multiprocessing.active_children():
            process.terminate()

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def run(jobs: list[Job], cache: Cache, pool: Pool, guesses: list[Job] = (), sink=None) -> dict[str, ChunkLayout]:
    """Lay out every job not already cached, in parallel when there are several; start the
    guesses (see Pool.guess) once the jobs are queued, so that they run on idle workers.
    A sink (assembly.Assembly) is offered every layout as it is known and does its work while the
    pool is busy."""
    out, todo = lookup(jobs, cache)
    for key, layout in out.items() if sink is not None else ():
        sink.offer(key, layout)
    order = sorted(todo, key=lambda j: -len(j.html))  # biggest first, so that no long chunk starts last
    layouts = pool.map(order, sink.step if sink is not None else None)
    if guesses and pool.parallel:
        pool.guess(guesses)
    for job, layout in zip(order, layouts):
        cache.put(job.digest, layout)
        if cache.folder is not None:
            layout.data = b""  # read again when wanted: a long book's would add up
        out[job.key] = layout
        if sink is not None:
            sink.offer(job.key, layout)
    return out


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)
