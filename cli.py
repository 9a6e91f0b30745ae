"""Run the ``ncd`` command from a checkout: ``python cli.py render gallery/mha.ncd -o mha.svg``."""
from ncd_render.cli import run

if __name__ == "__main__":
    run()
