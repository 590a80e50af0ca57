"""The WSGI entry point: the only module that builds an app at import time."""

from library import create_app

app = create_app()
