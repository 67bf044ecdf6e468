#!/usr/bin/env python
from common.entrypoints import manage

if __name__ == "__main__":
    manage("notification_service.settings")
