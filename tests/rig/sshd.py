"""sshd per host namespace (key-only root login) and the client side (RECIPE 2.2).

The client key, authorized_keys and known_hosts live in ``<rig>/client/``.  Every ssh the rig
runs uses ``-F /dev/null`` (no user/system ssh_config), IdentitiesOnly, the rig's known_hosts
and StrictHostKeyChecking=yes.
"""

from __future__ import annotations

import shlex
from pathlib import Path

from .daemon import Daemon
from .proc import RigError, run

SSHD = "/usr/sbin/sshd"
RUN_SSHD = Path("/run/sshd")
RUN_SSHD_MARKER = Path("/run/sshd.failover-rig")  # "a rig created /run/sshd"


def keygen(path: Path, comment: str) -> str:
    """Fresh ed25519 key at ``path``; returns the public key as "ssh-ed25519 AAAA..."."""
    for p in (path, path.with_name(path.name + ".pub")):
        p.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    return " ".join(path.with_name(path.name + ".pub").read_text().split()[:2])


def ensure_run_sshd() -> bool:
    """sshd needs /run/sshd (pitfall 1). Returns True if we created it."""
    if RUN_SSHD.is_dir():
        return False
    RUN_SSHD.mkdir(mode=0o755)
    RUN_SSHD_MARKER.touch()
    return True


def cleanup_run_sshd() -> None:
    """Remove /run/sshd if a rig made it and no sshd at all is running any more."""
    if not RUN_SSHD_MARKER.exists():
        return
    if run(["pgrep", "-x", "sshd"], check=False).returncode == 0:
        return
    if RUN_SSHD.is_dir() and not any(RUN_SSHD.iterdir()):
        RUN_SSHD.rmdir()
    RUN_SSHD_MARKER.unlink(missing_ok=True)


class SshClient:
    """The rig's client identity: key pair, authorized_keys, known_hosts."""

    def __init__(self, directory: Path) -> None:
        self.dir = directory
        self.key = directory / "id_ed25519"
        self.authorized_keys = directory / "authorized_keys"
        self.known_hosts = directory / "known_hosts"

    def create(self) -> None:
        pub = keygen(self.key, "failover-rig-client")
        self.authorized_keys.write_text(pub + "\n")
        self.known_hosts.write_text("")

    def add_known_host(self, address: str, host_key_pub: str) -> None:
        with self.known_hosts.open("a") as f:
            f.write(f"{address} {host_key_pub}\n")

    def options(self, known_hosts: Path | None = None, connect_timeout: int = 5) -> list[str]:
        """ssh options (no destination) used everywhere; strict host key checking."""
        return [
            "-F",
            "/dev/null",
            "-i",
            str(self.key),
            "-o",
            "IdentitiesOnly=yes",
            "-o",
            f"UserKnownHostsFile={known_hosts or self.known_hosts}",
            "-o",
            "GlobalKnownHostsFile=/dev/null",
            "-o",
            "StrictHostKeyChecking=yes",
            "-o",
            "BatchMode=yes",
            "-o",
            f"ConnectTimeout={connect_timeout}",
        ]

    def ssh_argv(
        self,
        address: str,
        command: list[str],
        known_hosts: Path | None = None,
        connect_timeout: int = 5,
    ) -> list[str]:
        """``ssh ... -- root@address command`` (command quoted for the remote shell)."""
        return [
            "ssh",
            *self.options(known_hosts, connect_timeout),
            "--",
            f"root@{address}",
            shlex.join(command),
        ]

    def rsync_rsh(self) -> str:
        """Value for ``rsync -e`` (rsync splits it itself; no shell involved)."""
        return shlex.join(["ssh", *self.options()])


class SshdController(Daemon):
    """sshd -D -e inside one host namespace, listening on ADDRESS:22."""

    def __init__(
        self,
        host: str,
        namespace: str,
        address: str,
        host_dir: Path,
        client: SshClient,
        log_path: Path,
        address6: str = "",
    ) -> None:
        super().__init__(f"sshd-{host}", log_path)
        self.namespace = namespace
        self.address = address
        self.address6 = address6  # listened on too (issue 20)
        self.dir = host_dir
        self.client = client
        self.config = host_dir / "sshd_config"
        self.host_key = host_dir / "ssh_host_ed25519_key"
        self.wrong_key = host_dir / "ssh_host_ed25519_key.wrong"
        self.presented_known_hosts = host_dir / "known_hosts.presented"
        self.host_key_pub = ""
        self.wrong_key_active = False
        self.extra_options: list[str] = []  # more sshd_config lines (e.g. SetEnv PATH=...)

    def create_keys(self) -> None:
        self.wrong_key_active = False
        self.host_key_pub = keygen(self.host_key, f"failover-rig-{self.namespace}")

    def current_key(self) -> Path:
        return self.wrong_key if self.wrong_key_active else self.host_key

    def prepare(self) -> None:
        key = self.current_key()
        pub = " ".join(key.with_name(key.name + ".pub").read_text().split()[:2])
        self.presented_known_hosts.write_text(f"{self.address} {pub}\n")
        self.config.write_text(
            "\n".join(
                [
                    "Port 22",
                    f"ListenAddress {self.address}",
                    *([f"ListenAddress {self.address6}"] if self.address6 else []),
                    f"HostKey {key}",
                    f"PidFile {self.dir / 'sshd.pid'}",
                    f"AuthorizedKeysFile {self.client.authorized_keys}",
                    "PermitRootLogin prohibit-password",
                    "PubkeyAuthentication yes",
                    "PasswordAuthentication no",
                    "KbdInteractiveAuthentication no",
                    "UsePAM no",
                    "StrictModes no",
                    "UseDNS no",
                    "Subsystem sftp internal-sftp",
                    *self.extra_options,
                    "",
                ]
            )
        )
        cp = run([SSHD, "-t", "-f", str(self.config)], check=False)
        if cp.returncode != 0:
            raise RigError(f"sshd -t rejected {self.config}: {cp.stderr.strip()}")

    def argv(self) -> list[str]:
        return ["ip", "netns", "exec", self.namespace, SSHD, "-D", "-e", "-f", str(self.config)]

    def is_accessible(self) -> bool:
        """A real key login with the key the server is meant to present."""
        argv = self.client.ssh_argv(self.address, ["true"], self.presented_known_hosts, 2)
        try:
            return run(argv, check=False, timeout=5).returncode == 0
        except RigError:
            return False

    def present_wrong_key(self) -> str:
        """Restart with a freshly generated host key; returns its public key."""
        self.stop()
        pub = keygen(self.wrong_key, "failover-rig-wrong")
        self.wrong_key_active = True
        self.start()
        return pub

    def restore_key(self) -> None:
        """Restart with the original host key (the one in the rig's known_hosts)."""
        if not self.wrong_key_active and self.running():
            return
        self.stop()
        self.wrong_key_active = False
        self.start()
