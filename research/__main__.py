"""``python -m research``: the ``eventstudy`` command."""

from research.cli.commands import main

main()
