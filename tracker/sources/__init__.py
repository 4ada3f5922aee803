"""Real implementations of the capture ports. Each module imports its library (mss,
pynput, python-xlib, OpenCV, ctypes/Win32, pyobjc) only inside ``start``/``grab``, so
importing them is free and works on any OS; :func:`tracker.sources.platform.real_sources`
picks the right set for the running system."""
