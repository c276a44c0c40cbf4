"""Allow ``python -m fupin_lib.cli`` where the ``fupin`` script is not on PATH."""

from . import main

main()
