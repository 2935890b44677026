"""gunicorn settings, read from the environment (see README.md, "Deployment").

gunicorn -c gunicorn.conf.py wsgi:app
"""

import multiprocessing
import os

from dotenv import load_dotenv

load_dotenv()


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name) or default)


bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{_int('PORT', 8000)}"
worker_class = "gthread"
# The brief's (2 x cores) + 1 processes, each with a few threads for requests
# that wait on the database. Keep DATABASE_POOL_SIZE at least `threads`.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 4)
# Every thread may hold a database connection: a smaller pool would make threads
# queue for connections (and time out) under load.
if _int("DATABASE_POOL_SIZE", 10) < threads:
    raise SystemExit(
        f"DATABASE_POOL_SIZE ({os.environ['DATABASE_POOL_SIZE']}) must be at least "
        f"GUNICORN_THREADS ({threads})"
    )
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, staggered, so that no slow leak grows for ever.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1000)
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
