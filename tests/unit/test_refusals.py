"""One family of refusals: every "the rules say no" error of both programs is a core Refused,
carrying an HTTP status, a code for programs and a message for people."""

from core.refusal import Refused


def test_every_refusal_is_one_family_with_status_code_and_message():
    from desktop.refusals import StartRefused
    from diary_server.accounts import AccountError
    from diary_server.contracts import ContractError
    from diary_server.diary_page_edits import PageRefusal
    from diary_server.sync_service import SyncError
    from diary_server.sync_service.common import Refusal
    from models.segments import EditRefused
    from ui.diary_store import Refused as DiaryRefused

    made = [
        StartRefused("Select the contract you are working on first."),
        AccountError("invalid_timezone", "Choose a time zone from the list.", "timezone"),
        ContractError(404, "not_found", "No such contract."),
        PageRefusal(403, "Only the freelancer deletes snapshots."),
        SyncError(409, "week_locked", "The week is locked."),
        Refusal("invalid_text", "The memo has a control character."),
        EditRefused("The work week has ended."),
        DiaryRefused(422, "Confirm the deletion first."),
    ]
    for error in made:
        assert isinstance(error, Refused), type(error)
        assert isinstance(error.status, int) and error.code and error.message == str(error)
    assert [e.status for e in made] == [409, 422, 404, 403, 409, 409, 409, 422]
    assert made[1].field == "timezone" and made[2].code == "not_found"
