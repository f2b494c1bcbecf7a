"""gunicorn reads this file from its working directory (`gunicorn app:app`); pass it with -c otherwise.

Only a start-up check lives here: workers, bind address and the rest stay on the command line.
"""

from __future__ import annotations


def post_worker_init(worker) -> None:
    """The first worker warns when several workers would each keep their own rate-limit counts."""
    from jxjd.ratelimit import unshared_warning

    if worker.age == 1:
        message = unshared_warning(worker.wsgi, worker.cfg.workers)
        if message:
            worker.log.warning(message)
