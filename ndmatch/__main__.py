from ndmatch.cli import main

main()
