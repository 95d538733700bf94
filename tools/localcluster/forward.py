"""Carry TCP connections from inside a node's network namespace to the host.

A node's kubelet runs in a network namespace of its own, where 127.0.0.1 is
that namespace's loopback, not the host's. This process listens on
the namespace's 127.0.0.1 (and on any other address given) at each port given,
and relays each connection to the same port on the host's 127.0.0.1, where an
apiserver listens, so one kubeconfig serves both. Pods reach it at the node's
address, which the node's own apiserver advertises for its ``kubernetes``
Service.

Run as ``python -m localcluster.forward NETNS PORT[,PORT...] [ADDRESS...]``.
"""

from __future__ import annotations

import asyncio
import ctypes
import os
import signal
import socket
import sys

CLONE_NEWNET = 0x40000000


def _setns(fd: int) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        raise OSError(ctypes.get_errno(), "setns failed")


def listen_in_namespace(netns: str, ports: list[int], addresses: list[str]) -> list[socket.socket]:
    """Sockets listening on each of ``addresses`` at each of ``ports`` inside ``netns``.

    A socket stays in the namespace it was created in, so the process can
    switch back to the host's namespace for the connections it makes.
    """
    host = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/run/netns/{netns}", os.O_RDONLY)
    try:
        _setns(target)
        listeners = [socket.create_server((a, p)) for a in addresses for p in ports]
        _setns(host)
    finally:
        os.close(target)
        os.close(host)
    return listeners


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy one direction; at its end, half-close so the answer can still come back."""
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except ConnectionError:
        writer.close()


async def serve(listeners: list[socket.socket]) -> None:
    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        port = writer.get_extra_info("sockname")[1]
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            writer.close()
            return
        await asyncio.gather(_pipe(reader, upstream_writer), _pipe(upstream_reader, writer))
        writer.close()
        upstream_writer.close()

    servers = [await asyncio.start_server(relay, sock=s) for s in listeners]
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signo in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signo, stop.set)
    await stop.wait()
    for server in servers:
        server.close()


def main() -> None:
    netns, ports = sys.argv[1], [int(p) for p in sys.argv[2].split(",")]
    listeners = listen_in_namespace(netns, ports, ["127.0.0.1", *sys.argv[3:]])
    asyncio.run(serve(listeners))


if __name__ == "__main__":
    main()
