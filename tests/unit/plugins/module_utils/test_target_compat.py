# -*- coding: utf-8 -*-
"""What keeps the module code running on every target Python (2.7 and 3.6+): the thread pool of the modules (plain
threads, no concurrent.futures), options as text, and the message when requests is missing.

The same code really runs on those Pythons in tests/integration/test_target_python.py."""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import platform
import sys
import threading
import time

import pytest

from ansible_collections.tim.chat.plugins.module_utils import _client
from ansible_collections.tim.chat.plugins.module_utils._parallel import run_concurrently
from ansible_collections.tim.chat.plugins.module_utils._module import missing_required_message
from ansible_collections.tim.chat.plugins.module_utils._validation import STRING_TYPES, text_params


class Gauge:
    """Counts the calls running at the same time."""

    def __init__(self):
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.threads = set()

    def __call__(self, item):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(threading.current_thread().ident)
        time.sleep(0.02)
        with self.lock:
            self.running -= 1
        if item % 5 == 0:
            raise ValueError("item %d refused" % item)
        return item * 10


def test_results_in_input_order_with_per_item_errors():
    outcome = run_concurrently(Gauge(), list(range(1, 21)), 4)
    assert [item for item, _result, _error in outcome] == list(range(1, 21))
    for item, result, error in outcome:
        if item % 5 == 0:
            assert result is None and isinstance(error, ValueError) and str(error) == "item %d refused" % item
        else:
            assert result == item * 10 and error is None


def test_runs_up_to_workers_calls_at_once():
    gauge = Gauge()
    run_concurrently(gauge, list(range(1, 17)), 4)
    assert gauge.peak == 4
    assert len(gauge.threads) == 4


def test_never_more_threads_than_items():
    gauge = Gauge()
    run_concurrently(gauge, [1, 2], 16)
    assert gauge.peak <= 2 and len(gauge.threads) <= 2


@pytest.mark.parametrize("workers, items", [(1, [1, 2, 3]), (8, [7]), (8, [])])
def test_serial_in_the_calling_thread(workers, items):
    gauge = Gauge()
    outcome = run_concurrently(gauge, items, workers)
    assert [result for _item, result, _error in outcome] == [item * 10 for item in items]
    assert gauge.threads <= {threading.current_thread().ident}


def test_accepts_any_iterable():
    assert run_concurrently(lambda item: item + 1, iter([1, 2, 3]), 2) == [(1, 2, None), (2, 3, None), (3, 4, None)]


def test_base_exception_of_a_worker_is_raised_and_stops_the_rest():
    started = []

    def function(item):
        started.append(item)
        if item == 3:
            raise KeyboardInterrupt()
        time.sleep(0.01)
        return item

    with pytest.raises(KeyboardInterrupt):
        run_concurrently(function, list(range(1, 101)), 2)
    assert len(started) < 100


def test_text_params_decodes_byte_strings_everywhere():
    # What AnsibleModule hands a module on Python 2: native byte strings, here UTF-8 for "帮助".
    params = {b"group_id": b"@TGS#_g", b"topics": [{b"topic_name": b"\xe5\xb8\xae\xe5\x8a\xa9", b"mute": True}],
              "timeout": 5.0, "purge": None, "text": "帮助"}
    assert text_params(params) == {"group_id": "@TGS#_g", "topics": [{"topic_name": "帮助", "mute": True}],
                                   "timeout": 5.0, "purge": None, "text": "帮助"}


def test_string_types_are_text():
    assert isinstance("帮助", STRING_TYPES) and not isinstance(b"x", STRING_TYPES) and not isinstance(1, STRING_TYPES)


def test_monotonic_clock_is_the_default():
    assert _client.monotonic is time.monotonic  # time.time only where monotonic is missing (Python 2.7)


def test_missing_requests_names_package_host_interpreter_and_the_fix():
    message = missing_required_message()
    assert message.startswith("Failed to import the required Python library (requests) on %s's Python %s."
                              % (platform.node(), sys.executable))
    assert "%s -m pip install requests" % sys.executable in message
