"""`python -m cli`: the same as the `copilot` script."""

from cli import main

if __name__ == "__main__":
    main()
