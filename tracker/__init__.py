"""Capture engine of the Team app: 10-minute segments, one snapshot each, activity counts.

Layout (see docs/capture.md):

- ``ports``     the Protocols the loop talks to and the values that cross them
- ``session``   the synchronous state machine of one logging run (what to credit, when to
                snapshot); the part unit tests drive with a fake clock
- ``loop``      :class:`~tracker.loop.CaptureLoop`, the thread + public API (start/stop/
                status/subscribe) the UI uses
- ``snapshot``, ``imaging``, ``privacy``  the snapshot moment: grab, encode, redact
- ``sources``   real sources (mss, pynput, X11, OpenCV camera, Win32, Quartz), lazily imported
- ``fakes``     fakes of every port, for tests

Importing this package has no side effects and imports no capture library.
"""
