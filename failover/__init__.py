"""failover: keep a small online shop alive when its hosting company fails."""

__version__ = "0.1.0"
