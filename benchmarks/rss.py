"""Peak memory of the current process, for the benchmark scripts."""
from pathlib import Path


def peak_rss_mb() -> float:
    """VmHWM of this process in MB. Unlike `getrusage().ru_maxrss`, it is not inherited from the parent that
    spawned the process, so a child's figure is its own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status (Linux only)")
