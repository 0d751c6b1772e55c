"""Process-wide settings for a connector that streams records through threads: the garbage collector, the C
allocator, the size of the reads of a response body.

All are set by `source_stripe.run` before a command runs. None changes what the connector outputs.
"""

from __future__ import annotations

import ctypes
import gc
from typing import Optional


class CollectorSettings:
    """Python's cyclic garbage collector, set for a process that streams records.

    A read keeps thousands of records alive at once (pages being parsed, records waiting for the main thread), each
    a dozen containers the collector tracks. With Python's default thresholds (700, 10, 10) it runs every 700
    allocations, traverses those records again and again, promotes them, and every few thousand records runs a full
    collection of the whole heap (0.1-0.3 s each): about a third of the CPU of a 100k-record read. Records are
    acyclic and freed by reference counting once written, so those collections find almost nothing.

    `for_streaming` raises the first threshold: the collector still runs, and frees the few cycles each request
    leaves (Jinja's `literal_eval` closures, a backoff handler), every YOUNG_THRESHOLD net allocations of containers.
    `freeze_startup` moves what start-up built (modules, manifest, components) out of the collector's sight: it
    lives as long as the process. Once per process: a test that runs the connector in-process many times freezes
    only the first run's objects.
    """

    YOUNG_THRESHOLD = 50_000

    @staticmethod
    def for_streaming() -> None:
        _, middle, old = gc.get_threshold()
        gc.set_threshold(CollectorSettings.YOUNG_THRESHOLD, middle, old)

    @staticmethod
    def freeze_startup() -> None:
        if not gc.get_freeze_count():
            gc.freeze()


class MallocArenas:
    """The number of glibc malloc arenas, the pools its `malloc` serves threads from.

    glibc gives threads up to 8 arenas per core. A record's dict (about 40 keys) is too large for Python's own
    allocator and comes from `malloc`: parsed in one of up to 64 worker threads, freed by the main thread once
    written, it leaves free space in the worker's arena that other threads do not reuse. Across a read's threads
    that is ~100 MB of peak RSS (a 100k-record read at zero latency: ~320 MB with the default, ~220 MB with 2),
    at no measurable CPU cost. Python's own small objects do not use these arenas.

    Equivalent to the environment variable MALLOC_ARENA_MAX, which only takes effect when set before the process
    starts. Does nothing where the C library is not glibc.
    """

    LIMIT = 2
    _M_ARENA_MAX = -8  # glibc's malloc.h

    @classmethod
    def limit(cls, arenas: int = LIMIT) -> bool:
        """Applies the limit to the arenas created from now on (call it before the worker threads start); True
        when the C library took it."""
        libc = cls._glibc()
        if libc is None:
            return False
        return bool(libc.mallopt(cls._M_ARENA_MAX, arenas))

    @staticmethod
    def _glibc() -> Optional[ctypes.CDLL]:
        """The C library the interpreter runs with, when it is glibc."""
        try:
            libc = ctypes.CDLL(None)  # the process's own symbols, the C library's among them
            libc.gnu_get_libc_version  # only glibc has it
            libc.mallopt
        except (OSError, AttributeError):
            return None
        return libc


class ResponseBodyReads:
    """How much of a response body requests asks urllib3 for at a time when it reads a whole body.

    requests reads `Response.content` in chunks of `requests.models.CONTENT_CHUNK_SIZE` (10 kB), each through
    urllib3's and http.client's layers: a Stripe list page of 100 charges (~320 kB) takes ~30 reads, ~0.3-0.4 ms of
    CPU more than one read (3-4 µs per record). http.client never reads past the body's Content-Length, so a larger
    chunk allocates no more than the body; the chunks are joined into one bytes object either way.
    """

    CHUNK_BYTES = 1 << 20

    @staticmethod
    def in_large_chunks(chunk_bytes: int = CHUNK_BYTES) -> None:
        import requests.models

        requests.models.CONTENT_CHUNK_SIZE = chunk_bytes


class ConnectionPools:
    """How many connections to one host each requests session keeps open for reuse.

    A session's adapter keeps at most `pool_maxsize` idle connections per host (requests' default: 10; the CDK
    mounts 40 for `https://`). The request gate lets up to `AUTO_CEILING` (64) requests of one stream be in flight
    (source_stripe/concurrency.py): each connection beyond the pool's size is opened for one request and closed
    after it, a TLS handshake each time. Sized at the gate's ceiling, every request in flight finds an open
    connection once the read is warm. A larger pool opens nothing by itself.
    """

    @staticmethod
    def hold(connections: int) -> None:
        import requests.adapters

        from source_stripe.cdk_seams import size_cdk_connection_pools

        adapter_init = requests.adapters.HTTPAdapter.__init__
        _, _, *rest = adapter_init.__defaults__  # pool_connections, pool_maxsize, max_retries, pool_block
        adapter_init.__defaults__ = (connections, connections, *rest)
        size_cdk_connection_pools(connections)


class EnvironmentProxies:
    """The proxies the environment gives a host, looked up once per host instead of on every request.

    requests asks the environment for every request it sends (`get_environ_proxies`: `HTTP(S)_PROXY`, `NO_PROXY`,
    every variable of `os.environ` decoded and lower-cased twice), ~0.2-0.4 ms of CPU a request. The environment
    does not change while the connector runs, so the answer for a (scheme, host, no_proxy) is kept: proxies set in
    the environment are honoured as before.
    """

    _MARK = "__source_stripe_once_per_host__"

    @classmethod
    def once_per_host(cls) -> None:
        import requests.sessions
        from urllib.parse import urlsplit

        lookup = requests.sessions.get_environ_proxies
        if getattr(lookup, cls._MARK, False):
            return
        answers: dict = {}

        def get_environ_proxies(url: str, no_proxy: Optional[str] = None) -> dict:
            parts = urlsplit(url)
            key = (parts.scheme, parts.netloc, no_proxy)
            if key not in answers:
                answers[key] = lookup(url, no_proxy=no_proxy)
            return dict(answers[key])

        setattr(get_environ_proxies, cls._MARK, True)
        requests.sessions.get_environ_proxies = get_environ_proxies  # what Session.merge_environment_settings calls
