"""Onboarding: what a new site needs before its first failover (issue 18): the names shell
completion offers (names.py), the preflight of `failover doctor`, and `failover init`."""
