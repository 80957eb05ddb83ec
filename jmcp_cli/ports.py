"""Ports: is one free, which is free nearby, and which process listens on one (Linux /proc)."""

import ipaddress
import os
import socket
from pathlib import Path


def is_loopback(ip: str) -> bool:
    if ip == "localhost":
        return True
    try:
        return ipaddress.ip_address(ip.strip("[]")).is_loopback
    except ValueError:
        return False


def is_free(ip: str, port: int) -> bool:
    """True when nothing listens on ``ip:port`` (binding with SO_REUSEADDR, like tornado does)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    host = "127.0.0.1" if ip == "localhost" else ip
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def os_assigned_port(ip: str) -> int:
    """A port the OS considers free right now (``--port 0``)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    host = "127.0.0.1" if ip == "localhost" else ip
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def suggest_free(ip: str, port: int, tries: int = 50) -> int:
    for candidate in range(port + 1, min(port + 1 + tries, 65536)):
        if is_free(ip, candidate):
            return candidate
    return os_assigned_port(ip)


def _listening_inodes(port: int) -> set[str]:
    inodes: set[str] = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if len(fields) < 10 or fields[3] != "0A":  # 0A = LISTEN
                continue
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(fields[9])
    return inodes


def port_owner(port: int) -> int | None:
    """The pid listening on ``port``, or None when unknown (not Linux, no permission, nobody)."""
    inodes = _listening_inodes(port)
    if not inodes:
        return None
    targets = {f"socket:[{i}]" for i in inodes}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            for fd in os.scandir(f"/proc/{entry.name}/fd"):
                try:
                    if os.readlink(fd.path) in targets:
                        return int(entry.name)
                except OSError:
                    continue
        except OSError:
            continue
    return None


def process_name(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "?"
    text = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return text if len(text) <= 60 else text[:59] + "…"
