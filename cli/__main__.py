import sys

from cli import app

sys.exit(app())
