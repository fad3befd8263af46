"""The ``claimtrack`` console script: the command line itself, compiled into the extension
module (the same code as the ``claimtrack`` binary built with cargo), so the wheel carries one
copy of the engine and the model."""

import sys


def main() -> None:
    """Runs ``claimtrack`` with this process's arguments and exits with its status."""
    from . import _native

    sys.stdout.flush()
    sys.exit(_native.cli_main(["claimtrack", *sys.argv[1:]]))


if __name__ == "__main__":
    main()
