"""Logging for the command line: one stderr handler, and every record masked as it is made.

The masking (failover.redact) happens in the record factory, not in a formatter, so it holds for
every logger and every handler, ours and the libraries' (urllib3 logs request paths, which is
where webhook URLs carry their token; paramiko, botocore and dnspython log at -vv too), and for
the text of an attached exception or stack, which is rendered and masked here once.

Below -vv only our own loggers reach stderr (and a library's CRITICAL): what goes wrong inside a
library reaches the user as our message, which says what, where and what to do. paramiko, for
one, logs an ERROR with a traceback from its transport thread when Ctrl-C closes a connection
it is still opening; that is -vv material, not what an on-call engineer should read.
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any, TextIO

from failover.redact import redact

FORMAT = "%(levelname)s %(name)s: %(message)s"
_factory = logging.getLogRecordFactory()


def configure_logging(level: int, stream: TextIO | None = None) -> None:
    """Log records at `level` and above go to stderr (or `stream`), every registered secret
    masked."""
    logging.setLogRecordFactory(_masked_record)
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "failover", False)]:
        root.removeHandler(old)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.failover = True  # type: ignore[attr-defined]
    if level > logging.DEBUG:
        handler.addFilter(_ours)
    root.addHandler(handler)
    root.setLevel(level)


def _ours(record: logging.LogRecord) -> bool:
    return record.name.split(".", 1)[0] == "failover" or record.levelno >= logging.CRITICAL


def _masked_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _factory(*args, **kwargs)
    try:
        message = record.getMessage()
    except Exception:  # noqa: BLE001 (a malformed call: logging reports it when it emits)
        return record
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record
