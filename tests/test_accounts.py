"""server/accounts: password hashing and strength rules (the database side is tested through the API)."""

import pytest

from server.accounts import AccountError
from server.accounts.passwords import (
    check_strength,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)


def test_hash_round_trip_and_salt():
    first, second = hash_password("Gui-gang-77", n=2**10), hash_password("Gui-gang-77", n=2**10)
    assert first != second  # a fresh salt each time
    assert first.startswith("scrypt$n=1024,r=8,p=1$")
    assert verify_password("Gui-gang-77", first) and verify_password("Gui-gang-77", second)
    assert not verify_password("Gui-gang-78", first)
    assert not verify_password("Gui-gang-77", "not a hash")
    assert not verify_password("x" * 2000, first)


def test_needs_rehash_when_the_cost_changes():
    stored = hash_password("Gui-gang-77", n=2**10)
    assert not needs_rehash(stored, n=2**10)
    assert needs_rehash(stored, n=2**11)


def test_the_shipped_list_has_the_common_chinese_passwords():
    assert {"123456", "5201314", "woaini1314", "qq123456", "a123456", "password"} <= common_passwords()


@pytest.mark.parametrize(
    ("password", "code"),
    [
        ("short1!", "password_too_short"),
        ("woaini1314", "password_common"),
        ("5201314520", "password_common"),
        ("QQ123456789", "password_common"),  # the list is compared in lower case
        ("aaaaaaaaaaaa", "password_common"),  # one or two characters repeated
        ("zhangsan2024!", "password_like_name"),
        ("nasgnahz2024", "password_like_name"),  # reversed, digits added
        ("x" * 1100, "password_too_long"),
    ],
)
def test_weak_passwords_are_refused_with_a_reason(password, code):
    with pytest.raises(AccountError) as caught:
        check_strength(password, user_name="zhangsan", min_length=10)
    assert caught.value.code == code
    assert caught.value.message.startswith("密码不可用") and caught.value.message_en.startswith(
        "Password refused"
    )


def test_a_good_password_passes():
    check_strength("Gui-gang-counter-77", user_name="zhangsan", min_length=10)
    check_strength("zhangsan-likes-long-walks", user_name="zhangsan", min_length=10)  # name inside a phrase
