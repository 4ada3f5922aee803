from desktop import weekly_limit


def test_the_limit_is_said_in_plain_words_at_the_right_minutes():
    assert weekly_limit.reached(59, 1, "Fixes") is None
    assert weekly_limit.reached(60, 1, "Fixes").startswith("You reached this week's limit of 1 hour on “Fixes”.")
    assert "limit of 40 hours" in weekly_limit.reached(2400, 40, "Site")
    assert weekly_limit.reached(10_000, None, "Site") is None
    assert weekly_limit.warning(53, 1) is None
    assert weekly_limit.warning(54, 1) == "0:06 left of your 1-hour weekly limit; logging stops when you reach it."
    assert weekly_limit.warning(60, 1) is None  # reached, not warned
    assert weekly_limit.warning(2200, 40) == "3:20 left of your 40-hour weekly limit; logging stops when you reach it."
