"""SSH for everyone (checks, sync, engine): paramiko with strict host keys (ssh.py), OpenSSH argv
building and the master connection (openssh.py), the host-to-host stream (pipe.py)."""
