import sys

from agent.cli import app

sys.exit(app())
