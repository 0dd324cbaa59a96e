"""runs/<id>.json: the journal of one playbook run, rewritten atomically after every step."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from failover.state.files import dumps, write_atomic


def new_run_id(now: float) -> str:
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(now)) + "-" + os.urandom(2).hex()


@dataclass
class StepRecord:
    index: int
    phase: str  # steps | rescue
    name: str
    action: str
    status: str = "running"  # running | ok | failed | ignored | warning | dry-run
    started_at: float = 0.0
    finished_at: float | None = None
    detail: str = ""
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Journal:
    id: str
    playbook: str
    title: str
    variables: dict[str, str]
    dry_run: bool
    who: str
    started_at: float
    status: str = "running"  # running | ok | failed | rescued | interrupted
    finished_at: float | None = None
    error: str | None = None
    steps: list[StepRecord] = field(default_factory=list)
    path: Path | None = None
    # also keeps the journal elsewhere, before the file (StateBackend.save_journal: fenced)
    mirror: Callable[[str, str], None] | None = field(default=None, repr=False, compare=False)

    @property
    def failed(self) -> bool:
        return self.status in ("failed", "rescued")

    def save(self) -> None:
        if self.path is not None:
            text = dumps(self.to_json(), indent=2) + "\n"
            if self.mirror is not None:
                self.mirror(self.id, text)
            write_atomic(self.path, text)

    def to_json(self) -> dict[str, Any]:
        return {f.name: [asdict(step) for step in self.steps] if f.name == "steps"
                else getattr(self, f.name)
                for f in fields(self) if f.name not in ("path", "mirror")}

    @classmethod
    def load(cls, path: Path) -> Journal:
        """The journal saved at `path`. Raises OSError, ValueError, KeyError or TypeError."""
        data = json.loads(path.read_text(encoding="utf-8"))
        steps = [StepRecord(**record) for record in data.pop("steps")]
        return cls(**data, steps=steps, path=path)
