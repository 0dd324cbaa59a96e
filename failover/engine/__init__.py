"""The playbook runner: steps, templating, rescue, journal."""
