"""``python -m research``: the ``eventstudy`` command."""

from research.cli import main

main()
