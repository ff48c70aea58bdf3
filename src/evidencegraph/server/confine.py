"""What a worker process gives up before it opens the store: the network, and unbounded memory.

Two walls behind the checks the server makes on each request. A worker runs queries and
updates, and needs no network: in a network namespace of its own (Linux; as root, or where
unprivileged user namespaces are allowed) it has no interface but a loopback that is down,
so no SERVICE or LOAD that slipped past the parsed-query check can reach any host, the
server's own machine included. And a worker may use at most ``memory_limit`` bytes of data
(``RLIMIT_DATA``: heap and private mappings, where a query's intermediate results live): an
allocation past it fails, the worker ends (Oxigraph aborts; Python raises MemoryError), and
the server answers 503 and starts a fresh worker.
"""

from __future__ import annotations

import ctypes
import os
import sys

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


def confine_worker(memory_limit: int) -> None:
    """Cut this process off from the network where the platform allows, and cap its data
    memory at ``memory_limit`` bytes (0: no cap). Call it while the process has one thread:
    a user namespace cannot be entered by a threaded process."""
    if memory_limit:
        import resource

        resource.setrlimit(resource.RLIMIT_DATA, (memory_limit, memory_limit))
    reason = _leave_the_network()
    if reason is not None:
        print(
            f"evidencegraph serve: a worker could not be cut off from the network ({reason}); "
            "SERVICE and LOAD are still refused on the parsed query",
            file=sys.stderr,
        )


def without_network() -> bool:
    """Whether this process can reach no network address (for tests and the startup note)."""
    import socket

    with socket.socket() as probe:
        probe.settimeout(1)
        try:
            probe.connect(("127.0.0.1", 9))
        except OSError as error:
            return error.errno == 101  # ENETUNREACH: no interface, not a refused connection
    return False


def _leave_the_network() -> str | None:
    """None once the process is in a network namespace of its own; else why not."""
    if not sys.platform.startswith("linux"):
        return f"no network namespaces on {sys.platform}"
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError as error:
        return str(error)
    if libc.unshare(_CLONE_NEWNET) == 0:
        return None
    # without CAP_SYS_ADMIN: a user namespace of its own grants it, where that is allowed
    if libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0:
        return None
    return os.strerror(ctypes.get_errno())
