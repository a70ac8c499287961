"""Whether a process that left something behind (a pool slot, a staged export) still runs."""

from __future__ import annotations

import os
import socket


def process_alive(pid: int | None, host: str | None) -> bool:
    if pid is None or (host and host != socket.gethostname()):
        return True  # unknown, or on another host: assume alive rather than free a live writer's slot
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
