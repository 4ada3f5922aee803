"""The floor for bench/overhead.py: a bare pynput keyboard + mouse listener that only counts.

    DISPLAY=:N .venv/bin/python bench/pynput_counter.py

Prints "counting" once both listeners run; on SIGTERM prints "keys=K clicks=C scrolls=S" and
exits. A click is a button press (its release is not counted), as the Team app counts them.
"""

from __future__ import annotations

import signal
import threading

from pynput import keyboard, mouse

counts = {"keys": 0, "clicks": 0, "scrolls": 0}


def on_press(_key) -> None:
    counts["keys"] += 1


def on_click(_x, _y, _button, pressed) -> None:
    if pressed:
        counts["clicks"] += 1


def on_scroll(_x, _y, _dx, _dy) -> None:
    counts["scrolls"] += 1


def main() -> None:
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    with keyboard.Listener(on_press=on_press) as kl, mouse.Listener(on_click=on_click, on_scroll=on_scroll) as ml:
        kl.wait()
        ml.wait()
        print("counting", flush=True)
        done.wait()
    print(f"keys={counts['keys']} clicks={counts['clicks']} scrolls={counts['scrolls']}", flush=True)


if __name__ == "__main__":
    main()
