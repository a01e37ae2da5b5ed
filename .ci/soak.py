#!/usr/bin/env python3
"""Soak: 1,000 idle connections must not keep the sandbox from a normal
client, and the sandbox must close them after its header read timeout.

usage: soak.py BASE_URL [CONNECTIONS]
"""
import http.client
import selectors
import socket
import sys
import time
import urllib.parse

base = urllib.parse.urlparse(sys.argv[1])
count = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
host, port = base.hostname, base.port

idle = []
for _ in range(count):
    s = socket.create_connection((host, port), timeout=10)
    s.setblocking(False)
    idle.append(s)
print(f"opened {len(idle)} idle connections")

started = time.monotonic()
conn = http.client.HTTPConnection(host, port, timeout=10)
conn.request("GET", "/api/1.0/pms/providerconfig?pmsId=4efafdc0-2783-4af6-9cac-d2b2be27a080",
             headers={"Authorization": "Bearer tok-acme"})
status = conn.getresponse().status
print(f"a normal request beside them: {status} in {time.monotonic() - started:.2f}s")
if status != 200:
    sys.exit(f"expected 200, got {status}")

# Each idle connection must be closed by the server (EOF), not by us.
sel = selectors.DefaultSelector()
for s in idle:
    sel.register(s, selectors.EVENT_READ)
open_left = len(idle)
deadline = time.monotonic() + 60
while open_left and time.monotonic() < deadline:
    for key, _ in sel.select(timeout=1):
        try:
            data = key.fileobj.recv(1024)
        except (ConnectionResetError, BlockingIOError):
            data = b""
        if not data:
            sel.unregister(key.fileobj)
            key.fileobj.close()
            open_left -= 1
elapsed = time.monotonic() - started
if open_left:
    sys.exit(f"{open_left} idle connections still open after {elapsed:.0f}s")
print(f"the sandbox closed all {len(idle)} idle connections after {elapsed:.1f}s")
