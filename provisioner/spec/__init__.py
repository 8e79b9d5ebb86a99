"""The event spec: load YAML files with positions, validate them against the JSON Schema and the
semantic rules, and report every problem at once (`loader.load` is the entry point)."""
