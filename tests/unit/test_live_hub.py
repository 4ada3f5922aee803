import threading

from web.live import Hub


def test_a_burst_reaches_a_page_as_one_message_with_the_newest_parts():
    hub = Hub()
    page = hub.connect()
    for minute in range(60):
        hub.publish({"panel": f"<section id='panel'>{minute}</section>", "status": "<div id='status-line'>on</div>"})
    message = page.take(timeout=1)
    assert message.count("id='panel'") == 1 and ">59<" in message and "id='status-line'" in message
    assert page.take(timeout=0.01) is None


def test_disconnected_pages_get_nothing_and_waiting_pages_wake_up():
    hub = Hub()
    gone = hub.connect()
    hub.disconnect(gone)
    waiting = hub.connect()
    got = []
    reader = threading.Thread(target=lambda: got.append(waiting.take(timeout=5)))
    reader.start()
    hub.publish({"prompts": "<section id='prompts'></section>"})
    reader.join(5)
    assert got == ["<section id='prompts'></section>"] and gone.take(timeout=0.01) is None
    assert hub.connections == 1
