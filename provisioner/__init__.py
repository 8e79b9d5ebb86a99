"""Event-as-code for Wix Events: describe events in YAML, plan and apply them."""

__version__ = "0.1.0"
