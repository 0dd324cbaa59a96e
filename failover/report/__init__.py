"""`failover report`: incidents, downtime, availability and rehearsals, read from the audit log.

records.py reads the audit log into rounds and runs; incidents.py builds each incident's
timeline (also printed at the end of every run that moved DNS); availability.py counts the
rounds per host and check; document.py puts a report together; text.py and html.py render it.
Pure functions over audit records, apart from `records.load` (reads the log) and `chain.py`
(asks the audit module to check its hash chain).
"""
