#!/usr/bin/env python3
"""Does a systemd-journald listen and store? Sends one entry over the native
protocol (a datagram to /run/systemd/journal/socket: connect() fails when
nothing listens, unlike `logger --journald`, which exits 0 either way) and
reads it back with journalctl. Exit 0: stored and read back; 1: not.
Usage: journal-probe.py [SECONDS]   (how long to wait for the entry, default 5)"""
import os, socket, subprocess, sys, time, uuid

SOCKET = "/run/systemd/journal/socket"
wait = float(sys.argv[1]) if len(sys.argv) > 1 else 5.0
token = "giflab-perfd-journal-probe-" + uuid.uuid4().hex
try:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(SOCKET)
    s.send(("MESSAGE=%s\nSYSLOG_IDENTIFIER=giflab-perfd-probe\nPRIORITY=7\n" % token).encode())
    s.close()
except OSError as e:
    print("journal-probe: nothing listens on %s (%s)" % (SOCKET, e.strerror), file=sys.stderr)
    sys.exit(1)
deadline = time.monotonic() + wait
while True:
    r = subprocess.run(["journalctl", "--no-pager", "-q", "-o", "cat", "SYSLOG_IDENTIFIER=giflab-perfd-probe",
                        "MESSAGE=" + token], capture_output=True, text=True)
    if token in r.stdout:
        sys.exit(0)
    if time.monotonic() > deadline:
        print("journal-probe: journald took the entry but journalctl does not show it within %g s (%s)"
              % (wait, r.stderr.strip() or "no error"), file=sys.stderr)
        sys.exit(3)
    time.sleep(0.1)
