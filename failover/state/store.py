"""state.json: read (a bad file is a clear error, never a traceback) and written atomically."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from pydantic import ValidationError

from failover.errors import ConfigError, Reason
from failover.model.state import State
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
            return State.model_validate(json.loads(text))
        except json.JSONDecodeError as e:
            raise ConfigError(
                [Reason(str(self.path), e.lineno, e.colno, "", f"is not valid JSON: {e.msg}"
                        "; move it aside to start with a fresh state")]
            ) from None
        except ValidationError as e:
            reasons = [
                Reason(str(self.path), None, None, ".".join(str(p) for p in err["loc"]),
                       f"{err['msg']}; move the file aside to start with a fresh state")
                for err in e.errors()
            ]
            raise ConfigError(reasons) from None

    def save(self, state: State) -> None:
        write_atomic(self.path, state.model_dump_json(by_alias=True, indent=2) + "\n")
        log.debug("saved: state path=%s active=%s", self.path, state.active)
