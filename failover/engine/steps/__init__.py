"""Playbook actions, one module per action (registry key = module name = the playbook's key).

base.py holds the step contract (Action); registry.py maps each playbook key to its Action;
zones.py is the DNS change the `dns` and `dns_ttl` steps share.
"""
