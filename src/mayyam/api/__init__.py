"""The Mayyam HTTP API: requests against the registered clusters.

Build the application with `create_app` and serve it with any ASGI server;
``mayyam api`` serves it with uvicorn.
"""

from mayyam.api.config import ApiSettings
from mayyam.api.main import create_app

__all__ = ["ApiSettings", "create_app"]
