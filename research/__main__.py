from research.cli import main

main()
