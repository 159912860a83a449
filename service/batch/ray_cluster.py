"""``tomtat ray start|stop`` (or ``python -m service.batch.ray_cluster``): Ray nodes that keep a loopback address.

Ray 2.x replaces a loopback host with the machine's routed address wherever it reads one
(``ray._private.services.resolve_ip_for_localhost``): in ``ray start --node-ip-address=127.0.0.1``, in
``ray start --address=127.0.0.1:PORT`` and in ``ray.init(address="127.0.0.1:PORT")``. The node then
registers, and its GCS, raylet, object manager, workers and agents listen, on that other address. Ray
itself binds loopback only when the node address *is* loopback, so keeping the address as given is
enough; no environment variable or flag does that (``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0`` makes the
head use 127.0.0.1 but refuses to start worker nodes).

``start`` runs Ray's own ``ray start`` with that lookup leaving loopback hosts alone (every flag of
``ray start`` passes through) and adds ``--node-ip-address=127.0.0.1`` for a head or a node joining a
loopback ``--address`` unless one is given: a head, and workers joining it, that listen on 127.0.0.1 only.
A worker node also turns token authentication on when a token is available, as ``ray start --head``
does. A node on a routed address (a real multi-host cluster) needs no wrapper: plain ``ray start
--node-ip-address=10.0.0.5`` keeps it.

``stop --temp-dir DIR`` stops the nodes started with ``--temp-dir DIR``, their workers and actors, and
leaves every other Ray instance of the user running (``ray stop`` kills them all).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import signal
import sys
import time

LOOPBACK = "127.0.0.1"


@contextlib.contextmanager
def keep_loopback():
    """While active, Ray keeps 127.0.0.1 / localhost / ::1 addresses instead of swapping in the routed one."""
    from ray._private import services

    original = services.resolve_ip_for_localhost

    def resolve(host: str) -> str:
        if host and services.is_localhost(host):
            return host
        return original(host)

    services.resolve_ip_for_localhost = resolve
    try:
        yield
    finally:
        services.resolve_ip_for_localhost = original


def is_loopback_address(address: str | None) -> bool:
    """``127.0.0.1:6380``, ``localhost:6380``, ``[::1]:6380`` (a GCS address, not ``ray://``)."""
    if not address or "://" in address:
        return False
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 or address.startswith("[") else address
    host = host.strip("[]")
    return host in ("127.0.0.1", "localhost", "::1")


def _option(args: list[str], name: str) -> str | None:
    """The value of ``--name=V`` / ``--name V`` in ``args`` (``""`` for a bare flag), else None."""
    for i, arg in enumerate(args):
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
        if arg == name:
            return args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("-") else ""
    return None


def start_args(ray_args: list[str]) -> list[str]:
    """``ray start`` arguments, with ``--node-ip-address=127.0.0.1`` added for a head or a node joining a
    loopback address unless one is given (a node joining a routed address keeps Ray's own choice)."""
    args = list(ray_args)
    if _option(args, "--node-ip-address") is None and (
            _option(args, "--head") is not None or is_loopback_address(_option(args, "--address"))):
        args.append(f"--node-ip-address={LOOPBACK}")
    return args


def _token_auth_as_on_the_head() -> None:
    """Turn Ray's token authentication on when a token is available and ``RAY_AUTH_MODE`` is unset.

    ``ray start --head`` does this itself (a token in ``RAY_AUTH_TOKEN``, ``RAY_AUTH_TOKEN_PATH`` or
    ``~/.ray/auth_token``, which a local ``ray.init()`` creates), a worker node does not, and is then refused
    by its own head on the same machine ("Authentication token is missing or incorrect").
    """
    try:
        from ray._private.authentication.authentication_token_setup import (
            maybe_enable_token_auth_if_token_available,
        )
    except ImportError:  # a Ray without token authentication
        return
    maybe_enable_token_auth_if_token_available(warn_if_disabled=False)


def start(ray_args: list[str]) -> int:
    """``ray start RAY_ARGS`` (Ray's own command, every flag) with loopback addresses kept; its exit status."""
    import click
    from ray.scripts.scripts import cli

    if _option(ray_args, "--head") is None:
        _token_auth_as_on_the_head()
    with keep_loopback():
        try:
            code = cli.main(["start", *start_args(ray_args)], prog_name="ray", standalone_mode=False)
        except click.ClickException as exc:
            exc.show()
            return exc.exit_code
        except click.Abort:
            return 1
        except Exception as exc:  # noqa: BLE001 - e.g. a port in use: ray start raises after logging
            print(f"ray start: {exc}", file=sys.stderr)
            return 1
    return code if isinstance(code, int) else 0


# --- a stop scoped to one temp dir ------------------------------------------------------------------


def _processes() -> dict[int, tuple[int, list[str]]]:
    """pid → (parent pid, argv) of every process that can be read."""
    out = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read().decode(errors="replace")
            with open(f"/proc/{name}/cmdline", "rb") as handle:
                argv = handle.read().decode(errors="replace").split("\0")
        except OSError:
            continue
        out[int(name)] = (int(stat.rsplit(")", 1)[1].split()[1]), argv)
    return out


def _is_ray_program(argv: list[str]) -> bool:
    """gcs_server, raylet, or python running a script or module of the ``ray`` package."""
    head = argv[:4]
    return any(f"{os.sep}ray{os.sep}" in arg for arg in head) or any(
        arg == "-m" and nxt.startswith("ray.") for arg, nxt in zip(head, head[1:]))


def cluster_pids(temp_dir: str) -> set[int]:
    """The processes of the Ray nodes started with ``--temp-dir TEMP_DIR``, and their descendants (workers, agents).

    A node's own processes are Ray programs whose arguments name a path in TEMP_DIR; the caller and its
    ancestors (a shell running ``... stop --temp-dir TEMP_DIR``) never count.
    """
    dirs = {os.path.abspath(temp_dir), os.path.realpath(temp_dir)}
    pattern = re.compile("(" + "|".join(re.escape(d) for d in dirs) + ")(/|$)")
    procs = _processes()
    spared = set()
    pid = os.getpid()
    while pid > 1 and pid not in spared:
        spared.add(pid)
        pid = procs.get(pid, (0, []))[0]
    found = {pid for pid, (_, argv) in procs.items()
             if pid not in spared and _is_ray_program(argv) and any(pattern.search(a) for a in argv)}
    changed = True
    while changed:
        changed = False
        for pid, (ppid, _) in procs.items():
            if ppid in found and pid not in found and pid not in spared:
                found.add(pid)
                changed = True
    return found


def _comm(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/comm", encoding="utf-8", errors="replace") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _terminate(pids: set[int], grace: float) -> None:
    """SIGTERM ``pids``, wait up to ``grace`` seconds, SIGKILL the ones still running."""
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(_alive(p) for p in pids):
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)


def stop(temp_dir: str, grace: float = 10.0) -> int:
    """Stop the nodes started with ``--temp-dir TEMP_DIR``; the number of processes stopped.

    In ``ray stop``'s order: the raylets (their workers go with them), then the agents, monitors and
    the rest, then the GCS; each step SIGTERMs, waits up to ``grace`` seconds, then SIGKILLs. Processes
    of any other temp dir are left alone.
    """
    seen = cluster_pids(temp_dir)
    for step in ("raylet", None, "gcs_server"):
        pids = cluster_pids(temp_dir)
        if step is None:
            pids = {p for p in pids if _comm(p) != "gcs_server"}
        else:
            pids = {p for p in pids if _comm(p) == step}
        _terminate(pids, grace)
        seen |= pids
    leftover = {p for p in cluster_pids(temp_dir) | seen if _alive(p)}
    _terminate(leftover, grace)
    return len(seen | leftover)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _stop_command(args) -> int:
    count = stop(args.temp_dir, args.grace)
    print(f"stopped {count} Ray processes of {os.path.realpath(args.temp_dir)}", file=sys.stderr)
    return 0


def add_commands(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="ray_command", required=True)
    p_start = sub.add_parser(
        "start", prefix_chars="+", add_help=False,
        help="ray start ARGS (every ray start flag; --help: ray start's), keeping 127.0.0.1: the default "
             "--node-ip-address of a head and of a node joining a 127.0.0.1 address")
    p_start.add_argument("ray_args", nargs="*")
    p_start.set_defaults(func=lambda args: start(args.ray_args))
    p_stop = sub.add_parser("stop", help="stop the Ray nodes started with --temp-dir DIR and their workers, "
                                         "and no other Ray process (unlike ray stop)")
    p_stop.add_argument("--temp-dir", required=True, help="the --temp-dir the nodes were started with")
    p_stop.add_argument("--grace", type=float, default=10.0,
                        help="seconds each step waits between SIGTERM and SIGKILL (default 10)")
    p_stop.set_defaults(func=_stop_command)


DESCRIPTION = ("Ray nodes for tomtat batch --engine ray: start runs ray start keeping a loopback address "
               "(Ray would otherwise move 127.0.0.1 to the machine's routed address); stop ends the nodes of "
               "one --temp-dir.")


def register(subparsers) -> None:
    """``tomtat ray start|stop``."""
    add_commands(subparsers.add_parser("ray", help="start Ray nodes on 127.0.0.1; stop the nodes of one --temp-dir",
                                       description=DESCRIPTION))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m service.batch.ray_cluster", description=DESCRIPTION)
    add_commands(parser)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
