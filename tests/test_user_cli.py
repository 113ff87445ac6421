"""``flask --app server user …``: create (stdin or a hidden prompt asked twice), list, disable, enable,
reset-password; bad input is told in both languages with exit status 2 and changes nothing."""

from __future__ import annotations

import pytest

from tests.staff import PASSWORD, Clock, sign_in, staff_app


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    return staff_app(tmp_path_factory.mktemp("cli"), Clock())


def run(app, *args, stdin=None):
    return app.test_cli_runner().invoke(args=["user", *args], input=stdin)


def names(app):
    return [line.split()[0] for line in run(app, "list").output.splitlines()[1:]]


def test_create_from_stdin_and_list(app):
    result = run(app, "create", "clerk.li", "--role", "editor", "--hall", "pingnan", "--hall", "guigang",
                 "--password-stdin", stdin=PASSWORD + "\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "clerk.li (editor)" in result.output
    table = run(app, "list").output.splitlines()
    assert table[0].split()[:3] == ["name/用户名", "role/角色", "halls/大厅"]
    row = next(line.split() for line in table if line.startswith("clerk.li"))
    assert row == ["clerk.li", "editor", "guigang,pingnan", "no", "-"]
    assert sign_in(app.test_client(), "clerk.li").status_code == 201
    row = next(line for line in run(app, "list").output.splitlines() if line.startswith("clerk.li"))
    assert "UTC" in row  # last sign-in shown


def test_create_with_the_prompt_asked_twice(app):
    result = run(app, "create", "clerk.wu", "--role", "viewer", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat" in result.output
    assert PASSWORD not in result.output  # hidden input
    mismatch = run(app, "create", "clerk.xu", "--role", "viewer", stdin=f"{PASSWORD}\nother-one-99\n")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    assert "clerk.xu" not in names(app)
    assert "clerk.wu" in names(app)


@pytest.mark.parametrize(
    ("args", "password", "code"),
    [
        (["bad name", "--role", "viewer"], PASSWORD, "bad_user_name"),
        (["Upper", "--role", "viewer"], PASSWORD, "bad_user_name"),
        (["clerk.zz", "--role", "boss"], PASSWORD, "bad_role"),
        (["clerk.zz", "--role", "editor"], PASSWORD, "editor_without_hall"),
        (["clerk.zz", "--role", "editor", "--hall", "atlantis"], PASSWORD, "unknown_hall"),
        (["clerk.zz", "--role", "viewer", "--hall", "guigang"], PASSWORD, "halls_only_for_editors"),
        (["clerk.zz", "--role", "viewer"], "qq123456789", "password_common"),
        (["clerk.zz", "--role", "viewer"], "short-1", "password_too_short"),
        (["clerk.zz", "--role", "viewer"], "clerk.zz-2025", "password_like_name"),
        (["boss", "--role", "admin"], PASSWORD, "user_exists"),
    ],
)
def test_bad_input_is_refused_in_both_languages(app, args, password, code):
    result = run(app, "create", *args, "--password-stdin", stdin=password + "\n")
    assert result.exit_code == 2, result.output
    assert f"[{code}]" in result.output
    message = result.output.splitlines()[0]
    zh, en = message.removeprefix("Error: ").split(" / ", 1)
    han = lambda text: any("\u4e00" <= ch <= "\u9fff" for ch in text)  # noqa: E731
    assert han(zh) and not han(en)
    assert "clerk.zz" not in names(app)


def test_bad_input_is_told_before_the_password_is_asked(app):
    result = run(app, "create", "clerk.zz", "--role", "editor", stdin="")
    assert result.exit_code == 2 and "[editor_without_hall]" in result.output
    assert "Password" not in result.output


def test_disable_enable_and_unknown_names(app):
    client = app.test_client()
    sign_in(client, "looker")
    assert run(app, "disable", "looker").exit_code == 0
    assert client.get("/api/v1/admin/session").status_code == 401  # its sessions ended
    assert (
        next(line for line in run(app, "list").output.splitlines() if line.startswith("looker")).split()[3]
        == "yes"
    )
    assert sign_in(app.test_client(), "looker").status_code == 401
    assert run(app, "enable", "looker").exit_code == 0
    assert sign_in(app.test_client(), "looker").status_code == 201
    for command in ("disable", "enable", "reset-password"):
        result = run(app, command, "ghost", stdin=PASSWORD + "\n")
        assert result.exit_code == 2 and "[unknown_user]" in result.output


def test_reset_password_ends_the_sessions(app):
    client = app.test_client()
    sign_in(client, "editor.gg")
    new = "Another-good-secret-42"
    weak = run(app, "reset-password", "editor.gg", "--password-stdin", stdin="5201314\n")
    assert weak.exit_code == 2 and "[password_too_short]" in weak.output
    assert client.get("/api/v1/admin/session").status_code == 200  # a refused reset changes nothing
    result = run(app, "reset-password", "editor.gg", "--password-stdin", stdin=new + "\n")
    assert result.exit_code == 0 and "1 session(s) ended" in result.output
    assert client.get("/api/v1/admin/session").status_code == 401
    assert sign_in(app.test_client(), "editor.gg").status_code == 401  # the old password no longer works
    assert sign_in(app.test_client(), "editor.gg", new).status_code == 201


def test_account_changes_are_in_the_audit_log(app):
    assert run(app, "disable", "editor.pn").exit_code == 0
    assert run(app, "enable", "editor.pn").exit_code == 0
    refused = run(app, "create", "Bad Name", "--role", "viewer", "--password-stdin", stdin=PASSWORD + "\n")
    assert refused.exit_code == 2
    client = app.test_client()
    token = sign_in(client, "boss").get_json()["csrf_token"]
    assert token
    entries = client.get("/api/v1/admin/audit?object_type=user&per_page=200").get_json()["entries"]
    by = {(e["object_id"], e["action"]) for e in entries}
    assert {("editor.pn", "disable"), ("editor.pn", "enable"), ("boss", "create")} <= by
    assert not any(e["object_id"] == "Bad Name" for e in entries)  # a refused command records nothing
    create = next(e for e in entries if e["object_id"] == "editor.gg" and e["action"] == "create")
    assert create["after"] == {"role": "editor", "halls": ["guigang"]} and create["user"] is None
