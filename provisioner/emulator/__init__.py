"""A local stand-in for the Wix Events REST API (https://www.wixapis.com).

Serves Events V3, Ticket Definitions V3, Policies V2, Schedule, Categories and the
registration Form with Wix's paths, bodies, errors, limits and quirks, over SQLite. It is the
tests' live system, the embedded default target, and a place to rehearse changes offline.
It imports nothing from the rest of `provisioner`, so a mistake there cannot be mirrored here.
"""

from .app import create_app

__all__ = ["create_app"]
