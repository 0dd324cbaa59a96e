"""Content sync: SSH with strict host keys (ssh), rsync argv and output (rsync), the mirror."""
