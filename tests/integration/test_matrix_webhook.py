# -*- coding: utf-8 -*-
"""Matrix, webhook (Group.CallbackBeforeCreateTopic): a refusal fails clearly and is never retried, a slow
or unreachable webhook lets the creation go ahead, and every callback is signed with the token."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
import socket
import time

from tests.integration.conftest import topic_task

# Client logic that does not depend on ansible-core: run on the default core only (make test-matrix skips it).
pytestmark = pytest.mark.once

CREATE = "million_group_open_http_svc/create_topic"
BEFORE = "Group.CallbackBeforeCreateTopic"


def closed_port():
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def before_callbacks(emulator, names):
    return [entry for entry in emulator.callbacks() if entry["command"] == BEFORE and entry["body"]["Name"] in names]


def received(webhook, names):
    return [item for item in webhook.received()
            if item["query"].get("CallbackCommand") == BEFORE and (item["body"] or {}).get("Name") in names]


def test_webhook_matrix(matrix, emulator, webhook):
    group = emulator.community()
    names = ["alpha", "forbidden", "reserved", "beta"]
    topics = [dict(topic_name=name) for name in names]

    # Refusals: 1 (generic, the caller gets 10016) and the app's own 10150, both signed with the token.
    webhook.configure(refuse={"forbidden": 1, "reserved": 10150}, token="hook-token", delay_s=0)
    emulator.configure(callback_url=webhook.url, callback_token="hook-token")
    emulator.reset_stats()
    play = matrix.play([topic_task("refused", ignore_errors=True, group_id=group, topics=topics)], emulator)
    refused = play.task("refused")
    assert refused["failed"] and sorted(topic["topic_name"] for topic in refused["topics"]) == ["alpha", "beta"]
    assert "2 topic(s) of group %s could not be written (created 2, modified 0, deleted 0" % group in refused["msg"]
    assert ("the app's Group.CallbackBeforeCreateTopic webhook refused creating topic 'forbidden' (10016"
            in refused["msg"])
    assert "webhook refused creating topic 'reserved' (10150, name reserved is reserved)" in refused["msg"]
    assert sorted((item["topic"], item["error_code"]) for item in refused["failed_topics"]) == [
        ("topic 'forbidden'", 10016), ("topic 'reserved'", 10150)]
    assert emulator.calls()[CREATE] == 4  # a refusal is never retried
    outcomes = sorted(entry["outcome"] for entry in before_callbacks(emulator, names))
    assert outcomes == ["allowed", "allowed", "refused:10016", "refused:10150"]
    signed = received(webhook, names)
    assert len(signed) == 4 and all(item["sign_ok"] is True for item in signed)

    # Slow webhook (3 s, the emulator waits 2 s): the creations go ahead. The receiver now expects another
    # token: the negative control that shows it really checks Sign.
    webhook.configure(refuse={}, delay_s=3, token="not-the-token")
    group = emulator.community()
    emulator.reset_stats()
    started = time.time()
    slow_topics = [dict(topic_name="slow-1"), dict(topic_name="slow-2")]
    play = matrix.play([topic_task("slow", group_id=group, topics=slow_topics)], emulator)
    assert time.time() - started > 2
    slow = play.task("slow")
    assert not slow["failed"] and len(slow["created"]) == 2
    assert [entry["outcome"] for entry in before_callbacks(emulator, ["slow-1", "slow-2"])] == ["timeout:allowed"] * 2
    assert [item["sign_ok"] for item in received(webhook, ["slow-1", "slow-2"])] == [False, False]

    # Webhook down (connection refused): the creation goes ahead.
    group_down = emulator.community()
    emulator.configure(callback_url="http://127.0.0.1:%d/hook" % closed_port())
    emulator.reset_stats()
    play = matrix.play([topic_task("down", group_id=group_down, topic_name="unhooked")], emulator)
    assert not play.task("down")["failed"]
    assert [entry["outcome"] for entry in before_callbacks(emulator, ["unhooked"])] == ["error:allowed"]
    assert emulator.names(group_down) == ["unhooked"] and emulator.names(group) == ["slow-1", "slow-2"]
    assert emulator.calls()[CREATE] == 1

    matrix.row("webhook-refusal-1", faults_injected=1, writes_verified=2, result="failed-clearly", code=10016)
    matrix.row("webhook-refusal-custom-10150", faults_injected=1, writes_verified=2, result="failed-clearly",
               code=10150)
    matrix.row("webhook-slow-3s-proceeds", faults_injected=2, writes_verified=2, result="converged")
    matrix.row("webhook-down-proceeds", faults_injected=1, writes_verified=1, result="converged")
    matrix.row("webhook-token-signing", faults_injected=2, writes_verified=0, result="converged",
               signed_ok=len(signed), wrong_token_detected=2)
