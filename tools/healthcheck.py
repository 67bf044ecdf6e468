"""Container health check: exit 0 when the service named by $SERVICE answers /ready/."""

import os
import sys

from common.settings import service_port
from tools.stack import is_ready

if __name__ == "__main__":
    sys.exit(0 if is_ready(f"http://127.0.0.1:{service_port(os.environ['SERVICE'])}", timeout=2.0) else 1)
