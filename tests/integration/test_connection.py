# -*- coding: utf-8 -*-
"""The connection as a new user gets it wrong (issue 17): each mistake ends in one sentence that names the option,
what was given and what is expected, before any call or after the first, and never shows requests' internals."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import socket
import time

from tests.integration.conftest import connection, module_task, run_play

INFO = "tim.chat.tim_topic_info"


def closed_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_wrong_base_urls_are_named_before_any_call(emulator):
    group = emulator.community()
    emulator.reset_stats()
    settings = connection(emulator)
    host = emulator.url.split("://", 1)[1]
    play = run_play([
        module_task(INFO, "no scheme", ignore_errors=True, group_id=group, base_url=host),
        module_task(INFO, "with /v4", ignore_errors=True, group_id=group, base_url=emulator.url + "/v4"),
    ], module_defaults=dict(settings, base_url=None))
    no_scheme = play.task("no scheme")["msg"]
    assert "base_url '%s' is not an absolute http(s) URL: give the scheme and host" % host in no_scheme
    assert "No connection adapters" not in no_scheme
    with_v4 = play.task("with /v4")["msg"]
    assert "base_url '%s/v4' must not contain /v4" % emulator.url in with_v4 and "give %s" % emulator.url in with_v4
    assert emulator.calls() == {}


def test_a_closed_port_fails_fast_in_one_sentence(emulator):
    url = "http://127.0.0.1:%d" % closed_port()
    started = time.time()
    play = run_play([module_task(INFO, "closed port", ignore_errors=True, group_id="@TGS#_g", base_url=url)],
                    emulator)
    elapsed = time.time() - started
    result = play.task("closed port")
    assert result["msg"].startswith("Reading the topics of group @TGS#_g failed: ")
    assert "connection to %s refused: nothing answers there (check base_url or region)" % url in result["msg"]
    assert "HTTPConnectionPool" not in result["msg"] and "usersig" not in result["msg"]
    assert len([warning for warning in result.get("warnings", []) if "retry" in warning]) == 1  # one retry at most
    assert elapsed < 8, elapsed  # not five backed-off retries (about 10 s before)


def test_the_tasks_secret_key_wins_over_a_usersig_left_in_the_environment(emulator):
    group = emulator.community()
    settings = connection(emulator)
    play = run_play([module_task(INFO, "key in the task", group_id=group)], emulator,
                    env=dict(TIM_USERSIG="a-stale-usersig-from-the-shell"))
    assert not play.task("key in the task")["failed"]
    env = dict(TIM_SDKAPPID=str(settings["sdkappid"]), TIM_BASE_URL=settings["base_url"])
    play = run_play([module_task(INFO, "both in the environment", ignore_errors=True, group_id=group)],
                    module_defaults={}, env=dict(env, TIM_SECRET_KEY=settings["secret_key"], TIM_USERSIG="x"))
    both = play.task("both in the environment")["msg"]
    assert "the environment sets both TIM_SECRET_KEY and TIM_USERSIG" in both
    assert settings["secret_key"] not in play.stdout + play.stderr


def test_missing_options_name_their_environment_variables():
    play = run_play([module_task(INFO, "nothing", ignore_errors=True, group_id="@TGS#_g",
                                 base_url="http://127.0.0.1:9")], module_defaults={})
    message = play.task("nothing")["msg"]
    assert "sdkappid is required: give it in the task (or module_defaults), or set the TIM_SDKAPPID" in message
    assert "secret_key or usersig is required" in message and "TIM_SECRET_KEY or TIM_USERSIG" in message
