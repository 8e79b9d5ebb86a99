"""The command line: click commands (`commands`, `apply_command`), one apply run's steps
(`apply_session`), and the text users read: plans (`render`, `render_markdown`) and apply's
progress and report (`progress`).

The top layer (`cli -> apply -> plan -> kinds -> client`): the only one that knows click,
prints, or maps errors to exit codes.
"""

from .commands import main

__all__ = ["main"]
