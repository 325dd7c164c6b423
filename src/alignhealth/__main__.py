"""``python -m alignhealth``."""

from alignhealth.cli import main

if __name__ == "__main__":
    main()
