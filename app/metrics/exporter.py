"""The metrics endpoint: the sum of every worker's counts, served by the gunicorn
master on a port of its own (gunicorn.conf.py's hooks call these).

prometheus_client's multiprocess mode: each worker writes its values to files in
one folder, which gunicorn.conf.py empties at start; the master reads them all at
each scrape, and forgets the gauges of a worker that has exited.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, multiprocess, start_http_server


def serve(host: str, port: int) -> None:
    """Serve /metrics for every worker on `host`:`port`, from a thread of this process."""
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    start_http_server(port, addr=host, registry=registry)


def forget_worker(pid: int) -> None:
    multiprocess.mark_process_dead(pid)
