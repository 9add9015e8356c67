"""Run a command and write its peak resident memory (KiB) to the file named by argv[1].

``python peak_rss.py OUT COMMAND...``: exits with the command's exit code. The test
process is large (pytest, its plugins, everything imported so far); a child forked
straight from it starts with a copy of that address space, which its ``ru_maxrss``
would count. This small process forks the command instead, so the figure is the
command's own.
"""

from __future__ import annotations

import os
import sys


def main() -> int:
    out, command = sys.argv[1], sys.argv[2:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.write(descriptor, str(usage.ru_maxrss).encode())
    os.close(descriptor)
    return os.waitstatus_to_exitcode(status)


if __name__ == "__main__":
    sys.exit(main())
