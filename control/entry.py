"""Console-script entry point: patch gevent first, then hand over to the click CLI."""
from gevent import monkey

monkey.patch_all()


def main() -> None:
    from control.cli import main as cli_main

    cli_main()


if __name__ == "__main__":
    main()
