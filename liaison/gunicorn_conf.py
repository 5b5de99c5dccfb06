"""gunicorn settings for `liaison serve` (passed as ``-c python:liaison.gunicorn_conf``).

Only hooks live here; the bind address, workers and threads come from serve's options.
"""


def post_worker_init(worker):
    """Preload the statistics and every view before this worker accepts a connection
    (liaison.core.warmup), and say so: the line is the worker's "ready"."""
    from liaison.core.warmup import preload

    modules, seconds = preload()
    worker.log.info("Liaison worker %s ready: %d modules preloaded in %.2f s", worker.pid, len(modules), seconds)
