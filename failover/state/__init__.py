"""On-disk state: state.json (atomic, 0600), the audit log, run journals and the lock."""
