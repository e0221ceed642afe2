from fedi_aid.cli import main

main()
