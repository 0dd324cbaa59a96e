"""The playbook runner: steps, rescue, journal."""
