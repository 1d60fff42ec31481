import sys

from servicebot.cli.main import main

sys.exit(main())
