"""Several checkers, one decision (issue 16): views and quorum, one fenced leader, all in etcd.

    etcd.py     a small client for etcd v3's JSON gateway, with endpoint rotation
    session.py  this checker's lease, kept alive; the key layout
    backend.py  the StateBackend / Lock contract on etcd: leadership, fenced writes, journals
    views.py    each checker's last round under its lease; the quorum over them (pure)
    round.py    a coordinated check round: probe, publish the view, lead, decide, act or resume
"""
