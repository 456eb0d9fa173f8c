# -*- coding: utf-8 -*-
# Test-only callback: writes every task result as one JSON line to $TIM_TEST_RESULTS.
from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: record_results
type: aggregate
short_description: Record task results for the tim.chat integration tests
description: Writes one JSON line per task result to the file named by E(TIM_TEST_RESULTS).
requirements:
  - enabled in the test configuration
"""

import json
import os

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "record_results"
    CALLBACK_NEEDS_ENABLED = True

    def _record(self, result, status):
        path = os.environ.get("TIM_TEST_RESULTS")
        if not path:
            return
        line = dict(task=result._task.get_name(), status=status, result=result._result)
        with open(path, "a") as handle:
            handle.write(json.dumps(line, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._record(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._record(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._record(result, "skipped")
