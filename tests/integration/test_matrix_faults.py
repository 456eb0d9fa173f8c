# -*- coding: utf-8 -*-
"""Matrix, faults: a bulk tim_topic run under each fault either converges or fails naming what it did,
a rerun converges, and the community ends up exactly as declared, every topic once."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re
import threading
import time
from collections import Counter

import pytest

from tests.emulator.launcher import start_emulator
from tests.integration.conftest import SDKAPPID, SECRET_KEY, Emulator, topic_task

# Client logic that does not depend on ansible-core: run on the default core only (make test-matrix skips it).
pytestmark = pytest.mark.once

TOPIC_API = "million_group_open_http_svc/"
CREATE = TOPIC_API + "create_topic"
NEW_TOPICS = 30
FAILED_CLEARLY = re.compile(r"^\d+ topic\(s\) of group \S+ could not be written \(created (\d+), modified (\d+), "
                            r"deleted (\d+); a rerun converges\): ")


def declare(emulator):
    """A community with 10 topics made behind the module's back, and the declaration for it: 5 of them
    modified, 5 purged, 30 created (every 5th with a custom id, every 7th muted, multi-byte text)."""
    group = emulator.community()
    for number in range(5):
        emulator.rest.create_topic(group, "keep-%d" % number, Notification="v1")
        emulator.rest.create_topic(group, "drop-%d" % number)
    topics = [dict(topic_name="keep-%d" % number, notification="v2") for number in range(5)]
    for number in range(NEW_TOPICS):
        topic = dict(topic_name="new-%02d" % number, introduction=u"\u8bdd\u9898 %d" % number)
        if number % 5 == 0:
            topic["topic_id"] = "%s@TOPIC#_custom-%02d" % (group, number)
        if number % 7 == 0:
            topic["mute_all_member"] = True
        topics.append(topic)
    return group, topics


def verify(emulator, group, topics):
    """The community holds exactly the declared topics, each once, as declared. Returns the number of
    write effects checked: each created topic, each modified field, each mute and each deletion."""
    held = emulator.rest.topics(group)
    names = Counter(topic["TopicName"] for topic in held)
    assert names == Counter(topic["topic_name"] for topic in topics), "not exactly the declared topics: %s" % (
        sorted(name for name, count in names.items() if count != 1 or not name.startswith(("keep-", "new-"))))
    by_name = dict((topic["TopicName"], topic) for topic in held)
    checked = 0
    for topic in topics:
        current = by_name[topic["topic_name"]]
        if topic.get("topic_id"):
            assert current["TopicId"] == topic["topic_id"]
        if "notification" in topic:
            assert current["Notification"] == topic["notification"]
        if "introduction" in topic:
            assert current["Introduction"] == topic["introduction"]
        if topic.get("mute_all_member"):
            assert current["MuteAllMember"] == "On"
            checked += 1
        checked += 1
    deleted = 5
    assert not [topic for topic in held if topic["TopicName"].startswith("drop-")]
    return checked + deleted


def first_run_outcome(result, emulator, group):
    """'converged', or 'failed-clearly' after checking the failure names what was done, and that it was done."""
    if not result["failed"]:
        assert len(result["created"]) == NEW_TOPICS and len(result["modified"]) == 5 and len(result["deleted"]) == 5
        return "converged"
    match = FAILED_CLEARLY.match(result["msg"])
    assert match, result["msg"]
    assert [int(count) for count in match.groups()] == [len(result["created"]), len(result["modified"]),
                                                        len(result["deleted"])]
    assert result["failed_topics"] and all(item.get("topic") for item in result["failed_topics"])
    held_ids = set(topic["TopicId"] for topic in emulator.rest.topics(group))
    assert set(result["created"]) <= held_ids, "reported as created but not there"
    assert not set(result["deleted"]) & held_ids, "reported as deleted but still there"
    return "failed-clearly"


def bulk(group, topics, name="bulk", **options):
    return topic_task(name, ignore_errors=True, group_id=group, topics=topics, purge=True, **options)


def run_row(matrix, emulator, group, topics, row, faults, module_options=None, background=None):
    """Bulk run under the faults, the faults off, the rerun, and the checks; records the row."""
    emulator.reset_stats()
    stop = threading.Event()
    thread = None
    if background:
        thread = threading.Thread(target=background, args=(stop,))
        thread.start()
    try:
        play = matrix.play([bulk(group, topics, **(module_options or {}))], emulator)
    finally:
        stop.set()
        if thread:
            thread.join()
    first = play.task("bulk")
    injected = faults(first)
    emulator.configure(latency_ms=0, latency_spike_ms=0, latency_spike_rate=0, error_rates={}, http_502_rate=0,
                       drop_rate=0, rate_limit=200)
    assert injected > 0, "the fault was never injected"
    result = first_run_outcome(first, emulator, group)
    assert "retry" in " ".join(first.get("warnings", [])), "faults were not reported as retries"

    time.sleep(0.2)  # let a request the module gave up on finish in the emulator
    emulator.reset_stats()
    play = matrix.play([bulk(group, topics, name="rerun")], emulator)
    rerun = play.task("rerun")
    assert not rerun["failed"], rerun["msg"]
    if result == "converged":
        assert not rerun["changed"] and emulator.writes() == 0, "the rerun after a converged run wrote"
    writes = verify(emulator, group, topics)
    matrix.row(row, faults_injected=injected, writes_verified=writes, result=result)


def emulator_faults(emulator):
    return lambda _first: sum(emulator.stats()["faults"].values())


@pytest.mark.parametrize("row, config", [
    ("fault-10002-30pct", dict(error_rates={"10002": 0.3}, seed=11)),
    ("fault-http502-20pct", dict(http_502_rate=0.2, seed=12)),
    ("fault-drop-after-commit-30pct", dict(drop_rate=0.3, seed=13)),
])
def test_fault_rates(matrix, emulator, row, config):
    group, topics = declare(emulator)
    emulator.configure(**config)
    run_row(matrix, emulator, group, topics, row, emulator_faults(emulator))


def test_throttling_bursts(matrix, emulator):
    """60007 from the emulator's own rate limiter (20 calls/s per API against the module's 200/s and
    16 threads) and 10006 bursts: every call refused for 0.3 s out of every 0.8 s."""
    group, topics = declare(emulator)
    emulator.configure(rate_limit=20, seed=14)

    def bursts(stop):
        while not stop.is_set():
            emulator.configure(error_rates={"10006": 1.0})
            stop.wait(0.3)
            emulator.configure(error_rates={})
            stop.wait(0.5)

    def faults(_first):
        stats = emulator.stats()["faults"]
        assert stats["throttled"] > 0 and stats["error"] > 0, stats
        return stats["throttled"] + stats["error"]

    run_row(matrix, emulator, group, topics, "fault-throttle-10006-60007-bursts", faults, background=bursts)


def test_latency_spikes_beyond_the_timeout(matrix, emulator):
    """2 s spikes on 20% of the calls, timeout 1 s: the module gives up on calls that still commit later."""
    group, topics = declare(emulator)
    emulator.configure(latency_spike_ms=2000, latency_spike_rate=0.2, seed=15)

    def spikes(first):
        # A spiked call is counted in the stats but not logged (its client has gone when it answers); the
        # module warns of each call it gave up on (Ansible shows a repeated warning once).
        time.sleep(2.1)
        unlogged = sum(emulator.stats()["calls"].values()) - len(emulator.requests())
        return max(unlogged, len([warning for warning in first.get("warnings", []) if "no answer within" in warning]))

    run_row(matrix, emulator, group, topics, "fault-latency-spike-2s-timeout-1s", spikes,
            module_options=dict(timeout=1))


def test_emulator_restarted_mid_run_with_its_state_file(matrix, tmp_path):
    state_file = str(tmp_path / "state.json")
    process = start_emulator(sdkappid=SDKAPPID, secret_key=SECRET_KEY, state_file=state_file, latency_ms=60, strict=True)
    try:
        emulator = Emulator(process)
        group, topics = declare(emulator)
        restarts = []

        def restart_after_some_creates(stop):
            while not stop.is_set():
                if process.stats()["writes"].get(CREATE, 0) >= 10:
                    process.restart()
                    restarts.append(time.time())
                    return
                stop.wait(0.02)

        run_row(matrix, emulator, group, topics, "fault-emulator-restart-state-file", lambda _first: len(restarts),
                module_options=dict(concurrency=4), background=restart_after_some_creates)
        # What the emulator holds after one more restart comes from its state file alone.
        process.restart()
        verify(emulator, group, topics)
        assert os.path.getsize(state_file) > 0
    finally:
        process.stop()
