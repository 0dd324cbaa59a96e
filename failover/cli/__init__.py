"""The command line: the only place that imports click, prints, prompts or exits."""
