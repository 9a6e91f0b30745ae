"""``python -m ncd_render`` runs the ``ncd`` command."""
from .cli import run

run()
