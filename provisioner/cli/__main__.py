"""`python -m provisioner.cli`: the same command line as `provisioner`."""

from . import main

main()
