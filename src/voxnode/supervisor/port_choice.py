"""Which port a service gets: its declared one when free, any free one otherwise."""

from __future__ import annotations

import socket
from collections.abc import Callable


def choose_port(
    declared: int, *, is_free: Callable[[int], bool], pick_free: Callable[[], int]
) -> int:
    if declared and is_free(declared):
        return declared
    return pick_free()


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
