"""A TCP proxy in front of the real Redis, which a test can take down and bring back.

While it is down, nothing listens on its port (a connection is refused, as when Redis is
stopped) and every connection made through it has been closed (as when Redis goes away under
its clients). Brought back, it listens on the same port and forwards to the same Redis again.
"""

import contextlib
import socket
import threading
import time

ACCEPT_POLL_SECONDS = 0.05
REBIND_SECONDS = 5


class TcpProxy:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.port = 0  # chosen by the system when first brought up, then kept
        self._listener: socket.socket | None = None
        self._accepting: threading.Thread | None = None
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._sockets: set[socket.socket] = set()
        self._pumps: list[threading.Thread] = []
        self.connections_made = 0

    @property
    def is_up(self) -> bool:
        return self._listener is not None

    def up(self) -> None:
        if self.is_up:
            return
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        deadline = time.monotonic() + REBIND_SECONDS
        while True:
            try:
                listener.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if self.port == 0 or time.monotonic() > deadline:
                    listener.close()
                    raise
                time.sleep(0.05)
        listener.listen(64)
        listener.settimeout(ACCEPT_POLL_SECONDS)
        self.port = listener.getsockname()[1]
        self._stopping.clear()
        self._listener = listener
        self._accepting = threading.Thread(
            target=self._accept_loop, args=(listener,), name="tcp-proxy-accept", daemon=True
        )
        self._accepting.start()

    def down(self) -> None:
        """Stop listening and cut every open connection; returns once all of it is closed."""
        if not self.is_up:
            return
        self._stopping.set()
        self._accepting.join(timeout=5)
        self._listener.close()
        self._listener = None
        with self._lock:
            sockets, self._sockets = self._sockets, set()
            pumps, self._pumps = self._pumps, []
        for sock in sockets:
            _close(sock)
        for pump in pumps:
            pump.join(timeout=5)

    def _accept_loop(self, listener: socket.socket) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                _close(client)
                continue
            server.settimeout(None)
            with self._lock:
                if self._stopping.is_set():
                    _close(client)
                    _close(server)
                    return
                self.connections_made += 1
                self._sockets |= {client, server}
                for source, target in ((client, server), (server, client)):
                    pump = threading.Thread(
                        target=_pump, args=(source, target), name="tcp-proxy-pump", daemon=True
                    )
                    self._pumps.append(pump)
                    pump.start()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while True:
            data = source.recv(65536)
            if not data:
                break
            target.sendall(data)
    except OSError:
        pass
    finally:
        _close(source)
        _close(target)


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    sock.close()
