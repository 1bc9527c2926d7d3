import sys

from hostkeep.cli import main

sys.exit(main())
