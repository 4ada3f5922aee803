import pytest
from keyring.backend import KeyringBackend

from sync.credentials import FileTokenStore, KeyringTokenStore, choose_token_store


class MemoryKeyring(KeyringBackend):
    priority = 5

    def __init__(self):
        super().__init__()
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        from keyring.errors import PasswordDeleteError

        if (service, username) not in self.items:
            raise PasswordDeleteError(username)
        del self.items[(service, username)]


def test_file_store_is_0600_and_keyed_by_server(tmp_path):
    store = FileTokenStore(tmp_path / "t.json")
    store.set("https://a", "tok-a")
    store.set("https://b", "tok-b")
    assert (tmp_path / "t.json").stat().st_mode & 0o777 == 0o600
    assert store.get("https://a") == "tok-a"
    store.delete("https://a")
    assert store.get("https://a") is None and store.get("https://b") == "tok-b"


def test_file_store_survives_a_damaged_file(tmp_path):
    (tmp_path / "t.json").write_text("{not json")
    assert FileTokenStore(tmp_path / "t.json").get("x") is None


def test_auto_prefers_the_os_keyring(monkeypatch, tmp_path):
    import keyring

    backend = MemoryKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: backend)
    store = choose_token_store("auto", tmp_path)
    assert isinstance(store, KeyringTokenStore)
    store.set("https://a", "secret")
    assert backend.items and not (tmp_path / "diary-token.json").exists()
    store.delete("https://a")
    store.delete("https://a")  # deleting twice is fine


def test_auto_falls_back_to_the_file_without_a_keyring(tmp_path):
    # The test session sets PYTHON_KEYRING_BACKEND to keyring's null backend.
    assert isinstance(choose_token_store("auto", tmp_path), FileTokenStore)
    with pytest.raises(RuntimeError, match="no OS keyring"):
        choose_token_store("keyring", tmp_path)
