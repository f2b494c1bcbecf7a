"""gunicorn reads this file from its working directory (`gunicorn app:app`); pass it with -c otherwise.

Request-size limits and a start-up check live here; workers, bind address and the rest stay on
the command line.
"""

from __future__ import annotations

# Let everything up to the app's own limits (8,000-character request line, 8 KB per header field,
# 32 KB of headers) through, so clients get the app's problem+json 414/431 rather than gunicorn's
# plain HTML answer; gunicorn's hard maximum for the request line is 8190.
limit_request_line = 8190
limit_request_field_size = 16384
limit_request_fields = 100


def post_worker_init(worker) -> None:
    """The first worker warns when several workers would each keep their own rate-limit counts."""
    from jxjd.ratelimit import unshared_warning

    if worker.age == 1:
        message = unshared_warning(worker.wsgi, worker.cfg.workers)
        if message:
            worker.log.warning(message)
