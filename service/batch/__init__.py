"""Batch processing of news archives: readers, the resumable writer and the local engine.

The same pieces serve three entry points:

* ``tomtat batch`` (``service/commands/batch.py``) streams an archive through
  :func:`runner.run_local` (threads in one process) or :mod:`.ray_engine` (Ray Data);
* the HTTP jobs: ``service/job_body.py`` parses submitted articles with :mod:`.records`
  and the job workers (``service/workers.py``) process each item with :func:`runner.process_record`.

Every article goes through ``models.pipeline.process_article``: one pipeline for
the service, the CLI and the cluster.
"""

from .records import Record, read_records
from .runner import ArticleOptions, BatchStats, process_record, run_local
from .writer import ResultWriter

__all__ = ["ArticleOptions", "BatchStats", "Record", "ResultWriter", "process_record", "read_records", "run_local"]
