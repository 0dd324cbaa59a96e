"""Content sync: the orchestrator's mirror of each sync set, pulled from the active host and
pushed to the standbys (SSH itself is failover.remote's).

- mirror.py: `Mirror`, the one entry point; base.py: the sync set contract (`MirroredSet`);
  files.py: the file set; database.py: the database set (MariaDB/MySQL, PostgreSQL) and
  replica.py its `mode: replica` (the standby a replica, promoted in a failover), with
  dialects.py (each engine's argv and SQL), dumptext.py (a dump's tables and rows, read from
  its text), dumps.py (the dump in the mirror, streamed in) and dbhost.py (the staged load and
  swap on a host).
- changes.py: `ChangeList`, what a transfer changes, for every transport; report.py: the
  `SyncReport` users see and the deletion gates; predict.py: `push_changes`, what the sync
  will change (pure).
- Pull: pull.py (rsync), sftp.py (SFTP), into snapshots.py (the last good copy).
  Push, one module per strategy: push_plain.py, push_atomic.py (release.py, scripts/*.sh),
  push_sftp.py.
- rsync.py / rsync_output.py: rsync argv and run, its output read; tree.py: manifests and
  the pushed records; cycle.py: one `failover sync` run; rollback.py: `--rollback`.
"""
