"""The ``mayyam`` command: run a component, or mint a development token.

    mayyam operator                       run the operator
    mayyam api [--host H] [--port P]      serve the API with uvicorn
    mayyam token --sub NAME [--roles r1,r2] [--clusters 'prod-*,dev'] [--ttl SECONDS]
                 [--private-key FILE]

Settings come from ``MAYYAM_*`` environment variables (see
``mayyam.core.config``, ``mayyam.operator.config``, ``mayyam.api.config`` and,
for the log output, ``mayyam.core.logs``).
"""

import argparse
import logging
import sys
from collections.abc import Sequence

from pydantic import ValidationError

from mayyam.core.errors import MayyamError
from mayyam.core.logs import LogSettings, configure_logging

logger = logging.getLogger(__name__)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    try:
        logs = LogSettings()
        configure_logging(args.log_format or logs.log_format, args.log_level or logs.log_level)
        status: int = args.run(args)
    except ValidationError as e:
        print(f"mayyam: invalid settings:\n{_describe_invalid_settings(e)}", file=sys.stderr)
        return 2
    except MayyamError as e:
        print(f"mayyam: {e.message}", file=sys.stderr)
        return 1
    return status


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mayyam", description="Run a Mayyam component, or print a development token."
    )
    parser.add_argument(
        "--log-level",
        choices=["debug", "info", "warning", "error"],
        help="the lowest level of log messages to show (default: MAYYAM_LOG_LEVEL, else info)",
    )
    parser.add_argument(
        "--log-format",
        choices=["text", "json"],
        help="how log records are written (default: MAYYAM_LOG_FORMAT, else text)",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    operator = commands.add_parser("operator", help="run the operator")
    operator.set_defaults(run=_run_operator)

    api = commands.add_parser("api", help="serve the HTTP API")
    api.add_argument("--host", default="127.0.0.1", help="address to listen on")
    api.add_argument("--port", type=int, default=8000, help="port to listen on")
    api.set_defaults(run=_run_api)

    token = commands.add_parser("token", help="print a development bearer token")
    token.add_argument("--sub", required=True, help="the user the token names")
    token.add_argument("--roles", default="", help="comma-separated role names")
    token.add_argument(
        "--clusters", help="comma-separated glob patterns of the clusters it reaches (default: all)"
    )
    token.add_argument("--ttl", type=int, default=3600, help="seconds until it expires")
    token.add_argument(
        "--private-key",
        type=argparse.FileType("r"),
        help="PEM private key that signs it, for public-key algorithms (MAYYAM_JWT_ALGORITHMS)",
    )
    token.set_defaults(run=_print_token)
    return parser


def _run_operator(args: argparse.Namespace) -> int:
    from mayyam.operator import OperatorSettings, run_operator

    run_operator(OperatorSettings())
    return 0


def _run_api(args: argparse.Namespace) -> int:
    import uvicorn

    from mayyam.api import ApiSettings, create_app

    app = create_app(ApiSettings())
    # Mayyam writes its own access log line, with the user and the cluster.
    uvicorn.run(app, host=args.host, port=args.port, access_log=False, log_config=None)
    return 0


def _print_token(args: argparse.Namespace) -> int:
    from mayyam.api.auth import issue_token
    from mayyam.api.config import ApiSettings

    if args.ttl <= 0:
        print("mayyam: --ttl must be a positive number of seconds", file=sys.stderr)
        return 2

    settings = ApiSettings()
    signing_key = args.private_key.read() if args.private_key else None
    if signing_key is None and not settings.uses_hmac:
        print("mayyam: --private-key is needed for public-key algorithms", file=sys.stderr)
        return 2

    token = issue_token(
        settings,
        subject=args.sub,
        roles=_split(args.roles),
        clusters=_split(args.clusters) if args.clusters is not None else None,
        ttl=args.ttl,
        signing_key=signing_key,
    )
    print(token)
    return 0


def _split(names: str) -> list[str]:
    return [name.strip() for name in names.split(",") if name.strip()]


def _describe_invalid_settings(error: ValidationError) -> str:
    """Name each invalid setting by its environment variable, without its value."""
    lines = []
    for item in error.errors():
        message = str(item["msg"]).removeprefix("Value error, ")
        if item["loc"]:
            lines.append(f"  MAYYAM_{str(item['loc'][0]).upper()}: {message}")
        else:
            lines.append(f"  {message}")
    return "\n".join(lines)
