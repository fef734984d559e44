"""``python -m distilabel``: the ``distilabel`` command."""

from distilabel.cli.app import main

if __name__ == "__main__":
    main()
