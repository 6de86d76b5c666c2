from provenance.cli.main import main

main()
