"""state.json: read (a bad file is a clear error, never a traceback) and written atomically."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import msgspec

from failover.errors import ConfigError, Reason
from failover.model.coerce import Invalid
from failover.model.state import State
from failover.model.types import json_default
from failover.state.files import write_atomic

log = logging.getLogger(__name__)


class StateStore:
    def __init__(self, state_dir: Path) -> None:
        self.dir = state_dir
        self.path = state_dir / "state.json"

    def load(self) -> State:
        """The saved state, or a fresh one when there is none yet."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return State()
        try:
            return State.parse(json.loads(text))
        except json.JSONDecodeError as e:
            raise ConfigError(
                [Reason(str(self.path), e.lineno, e.colno, "", f"is not valid JSON: {e.msg}"
                        "; move it aside to start with a fresh state")]
            ) from None
        except Invalid as e:
            reasons = [
                Reason(str(self.path), None, None, ".".join(str(p) for p in problem.path),
                       f"{problem.message}; move the file aside to start with a fresh state")
                for problem in e.problems
            ]
            raise ConfigError(reasons) from None

    def save(self, state: State) -> None:
        text = msgspec.json.format(msgspec.json.encode(state, enc_hook=json_default), indent=2)
        write_atomic(self.path, text + b"\n")
        log.debug("saved: state path=%s active=%s", self.path, state.active)
