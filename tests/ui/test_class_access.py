"""The class view's door: the host token, compared in constant time, taken out of the URL at once."""

from __future__ import annotations

from ganlab.ui.class_access import ENV_TOKEN, HOST_KEY, TOKEN_CAP, Access, host_access, token_matches

SECRET = "s3cret-Token_42"
ENV = {ENV_TOKEN: SECRET}


def test_without_the_variable_the_view_is_off_and_any_token_still_leaves_the_url():
    state, params = {}, {"token": SECRET, "x": "1"}
    assert host_access(state, params, {}) == Access.OFF
    assert params == {"x": "1"} and state == {}


def test_no_token_then_wrong_token_then_right_token():
    state: dict = {}
    assert host_access(state, {}, ENV) == Access.NO_TOKEN
    params = {"token": "s3cret-Token_41"}
    assert host_access(state, params, ENV) == Access.WRONG
    assert params == {} and HOST_KEY not in state
    params = {"token": SECRET}
    assert host_access(state, params, ENV) == Access.HOST
    assert params == {}  # gone from the URL
    assert SECRET not in str(state)  # the session keeps a digest, not the token
    assert host_access(state, {}, ENV) == Access.HOST  # later reruns need no token


def test_a_wrong_token_ends_a_proved_session_and_a_new_server_token_locks_it_out():
    state: dict = {}
    assert host_access(state, {"token": SECRET}, ENV) == Access.HOST
    assert host_access(state, {}, {ENV_TOKEN: "another"}) == Access.NO_TOKEN
    assert host_access(state, {"token": SECRET}, ENV) == Access.HOST
    assert host_access(state, {"token": "nope"}, ENV) == Access.WRONG
    assert host_access(state, {}, ENV) == Access.NO_TOKEN


def test_token_comparison():
    assert token_matches(SECRET, SECRET)
    assert not token_matches(SECRET[:-1], SECRET)
    assert not token_matches("", SECRET)
    assert not token_matches("x" * (TOKEN_CAP + 1), "x" * (TOKEN_CAP + 1))  # over the cap: refused unread
    assert host_access({}, {"token": ["old", SECRET]}, ENV) == Access.HOST  # a repeated key: the last
