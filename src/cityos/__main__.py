from cityos.cli import main

main()
