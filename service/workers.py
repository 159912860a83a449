"""The job workers: threads of the service process that take one queued item at a time from the job store,
yield to interactive requests (``service/priority.py``) and run it (``service.batch.process_record``, or
``service/documents.py`` for a document). ``service/jobs.py`` creates them in the app (``init_app``) and
serves the routes; ``start_workers(app)`` and ``shutdown(app)`` start and stop them.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from flask import Flask
from sqlalchemy.exc import SQLAlchemyError

from models import batcher, cache
from models.errors import CapabilityUnavailable

from .batch.records import Record
from .batch.runner import ArticleOptions, process_record
from .priority import Priority
from . import documents
from .db import describe, redact
from .http import JOBS_EXTENSION, job_workers as workers_of
from .store import OPTIONS_KEPT, JobStore

log = logging.getLogger(__name__)

POLL_S = 1.0
PROGRESS_EVERY_S = 1.0  # a long item (a document) writes how far it is at most this often
PROGRESS_BACKOFF_S = 30.0  # and not for this long after the store failed to take it


# -- workers ---------------------------------------------------------------------------------------

class JobWorkers:
    """The job store of an app and its worker threads (created lazily, stopped by ``shutdown``)."""

    def __init__(self, app: Flask, priority: Priority):
        self.settings = app.extensions["tomtat.settings"]
        self.runtime = app.extensions["tomtat.runtime"]
        self.priority = priority
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._store: JobStore | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._active: dict[str, object] = {}  # thread name -> its current claim
        self._options = cache.Lru(OPTIONS_KEPT)  # job id -> its ArticleOptions, built

    @property
    def store(self) -> JobStore:
        if self._store is None:
            with self._lock:
                if self._store is None:
                    self._store = JobStore(self.settings.database, lease_s=self.settings.job_lease_s,
                                           retention_s=self.settings.job_retention)
        return self._store

    @property
    def running(self) -> bool:
        return any(t.is_alive() for t in self._threads)

    def start(self) -> None:
        with self._lock:
            if self._threads or self.settings.job_workers <= 0 or self._stop.is_set():
                return
            threads = [threading.Thread(target=self._heartbeat, name="tomtat-jobs-heartbeat", daemon=True)]
            threads += [threading.Thread(target=self._work, name=f"tomtat-jobs-{i}", daemon=True)
                        for i in range(self.settings.job_workers)]
            self._threads = threads
        try:
            self.store.requeue_expired()
        except SQLAlchemyError as exc:  # the database is down: the heartbeat requeues once it answers
            log.warning("job store unavailable at start-up (%s); workers wait for it", describe(exc))
        for thread in threads:
            thread.start()
        log.info("job workers started: %d (owner %s, db %s)", self.settings.job_workers, self.owner,
                 redact(self.settings.database))

    def notify(self) -> None:
        self._wake.set()

    def shutdown(self, timeout: float = 30.0) -> None:
        """Stop taking items, let running ones finish (``timeout``), give back the rest."""
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout)
        for claim in list(self._active.values()):
            self.store.release(claim, self.owner)  # a later process redoes it
        self._threads = []

    def _heartbeat(self) -> None:
        interval = max(0.2, self.settings.job_lease_s / 3)
        retention = self.settings.job_retention
        purge_every = min(max(retention / 10, 0.2), 60.0)  # finished jobs outlive their retention by <= 10%
        last_purge = 0.0
        while not self._stop.wait(min(interval, purge_every) if retention > 0 else interval):
            try:
                self.store.renew(self.owner, [claim.item_id for claim in list(self._active.values())])
                if self.store.requeue_expired():
                    self._wake.set()
                if retention > 0 and time.monotonic() - last_purge >= purge_every:
                    last_purge = time.monotonic()
                    if purged := self.store.purge_expired():
                        log.info("job store: %d finished jobs purged (TOMTAT_JOB_RETENTION)", purged)
                    documents.DocumentStore(self.store.db).purge()  # their files, and expired downloads
            except Exception:  # noqa: BLE001 - a locked or busy database must not kill the heartbeat
                log.exception("job heartbeat failed")

    def _article_options(self, claim) -> ArticleOptions:
        """The job's options as the pipeline takes them, built once per job (a glossary of thousands of
        terms is not rebuilt, nor hashed, for each of its articles)."""
        found = self._options.get(claim.job_id)
        if found is None:
            found = ArticleOptions.from_dict(claim.options)
            self._options.put(claim.job_id, found)
        return found

    def _reporter(self, claim, every_s: float = PROGRESS_EVERY_S):
        """``progress(fraction)`` for a long item: written to the store at most every ``every_s`` (the item's
        end is written by ``complete``). Progress is advisory: a store that fails to take it costs the item
        nothing, and is not asked again for ``PROGRESS_BACKOFF_S`` (a database away would cost every batch
        its connect timeout)."""
        next_at = 0.0

        def report(fraction: float) -> None:
            nonlocal next_at
            if fraction >= 1.0 or time.monotonic() < next_at:
                return
            try:
                # refused: the claim is no longer this worker's (expired, redone elsewhere); nothing to report
                next_at = time.monotonic() + every_s if self.store.report_progress(claim, self.owner, fraction) \
                    else float("inf")
            except SQLAlchemyError as exc:
                next_at = time.monotonic() + PROGRESS_BACKOFF_S
                log.warning("job %s item %d: progress not stored (%s); next try in %.0f s", claim.job_id,
                            claim.seq, describe(exc), PROGRESS_BACKOFF_S)

        return report

    def _work(self) -> None:
        name = threading.current_thread().name
        store = self.store
        while not self._stop.is_set():
            try:
                self.priority.wait_idle(self.settings.job_max_yield_s, self._stop)
                if self._stop.is_set():
                    break
                claim = store.claim(self.owner)
                if claim is None:
                    self._wake.wait(POLL_S)
                    self._wake.clear()
                    continue
                self._active[name] = claim
                try:
                    try:
                        with batcher.priority("background"), cache.scope(claim.tenant):  # interactive first
                            if claim.options.get("kind") == documents.KIND:  # a whole file (service/documents.py)
                                row = documents.process_claim(self.runtime, self.settings.database, claim,
                                                              self.settings.max_document_bytes,
                                                              progress=self._reporter(claim))
                            else:
                                row = process_record(self.runtime, Record.from_dict(claim.record),
                                                     self._article_options(claim))
                    except CapabilityUnavailable as exc:
                        store.fail_job(claim.job_id, f"{exc}. To fix: {exc.how_to_fix}")
                        continue
                    if not store.complete(claim, self.owner, row):
                        log.warning("job %s item %d: result discarded (no longer ours)", claim.job_id, claim.seq)
                finally:
                    self._active.pop(name, None)
            except Exception:  # noqa: BLE001 - keep the worker alive; the item's lease runs out and it is redone
                log.exception("job worker error")
                self._stop.wait(POLL_S)


def start_workers(app: Flask) -> None:
    workers_of(app).start()


def shutdown(app: Flask, timeout: float = 30.0) -> None:
    """Stop the app's job workers cleanly (running items finish or go back to the queue)."""
    workers = app.extensions.get(JOBS_EXTENSION)
    if workers is not None:
        workers.shutdown(timeout)
