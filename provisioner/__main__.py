"""`python -m provisioner`: the command line, for when the `provisioner` script is not on PATH."""

from .cli import main

main(prog_name="provisioner")
