"""`python -m predbench.cli ...` is the `predbench` command."""

from predbench.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
