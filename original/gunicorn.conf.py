# gunicorn settings for the original app (gunicorn -c gunicorn.conf.py app:app).
# The original ran `gunicorn -w 16 -b 0.0.0.0:8000 application:app`: sync
# workers, each serving one request at a time. That bounds the app's
# PostgreSQL connections: at most ORIGINAL_WORKERS new connections (/agents)
# plus ORIGINAL_WORKERS x ORIGINAL_POOL_SIZE pooled ones.
import os

bind = os.environ.get("ORIGINAL_LISTEN_ADDR", "0.0.0.0:8000")
workers = int(os.environ.get("ORIGINAL_WORKERS", "16"))
worker_class = "sync"
# Errors (tracebacks of failed requests) to stderr; no access log, as the
# original's command line.
errorlog = "-"
loglevel = "info"
