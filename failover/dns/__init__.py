"""DNS: the provider contract (base), pure planning (plan), flips across zones (flip), and
checking that every authoritative nameserver answers with the new values (verify)."""
