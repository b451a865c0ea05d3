"""``python -m secaudit``."""

from secaudit.cli import main

main()
