"""The peer: a trivial Celery task over Redis (broker and result backend)."""
import os

from celery import Celery

BROKER = os.environ.get("CELERY_BROKER", "redis://127.0.0.1:6379/0")
app = Celery("bench", broker=BROKER, backend=BROKER)
# JSON, not pickle: a worker running as root refuses pickle (and the task needs nothing more).
app.conf.update(task_serializer="json", result_serializer="json",
                accept_content=["json"], worker_prefetch_multiplier=4,
                broker_connection_retry_on_startup=True, worker_hijack_root_logger=False)


@app.task
def inc(x):
    return x + 1
