"""The Team app as a desktop program, apart from its web pages: the time-logging controller
(the main screen's state machine over the capture loop), crash resume, desktop notifications,
the tray icon, the native window and memory housekeeping. The web layer drives it; it never
imports the web layer."""
