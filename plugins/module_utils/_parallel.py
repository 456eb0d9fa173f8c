# -*- coding: utf-8 -*-
# Copyright: tim.chat contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Owns running work in parallel with plain threads (module code runs on Python 2.7 targets too).

Private to the tim.chat collection: not a public API, may change without notice.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import threading


def in_parallel(function, items, workers):
    """``run_concurrently`` for work that reports its API errors itself: any other error is a bug, raised here."""
    for _item, _result, error in run_concurrently(function, items, workers):
        if error is not None:
            raise error


def run_concurrently(function, items, workers):
    """Apply ``function`` to every item with up to ``workers`` threads.

    Returns ``[(item, result, error)]`` in input order; an error does not stop the other items.
    Plain threads, not concurrent.futures: that package is not in Python 2.7's standard library,
    and module code runs on 2.7 targets too (ansible-core 2.16).
    """
    items = list(items)
    results = [None] * len(items)
    fatal = []  # a BaseException (KeyboardInterrupt, SystemExit) in a worker, re-raised here
    lock = threading.Lock()
    pending = iter(range(len(items)))

    def guarded(index):
        item = items[index]
        try:
            results[index] = (item, function(item), None)
        except Exception as exc:  # noqa: BLE001 -- reported per item to the caller
            results[index] = (item, None, exc)

    def worker():
        while not fatal:
            with lock:
                index = next(pending, None)
            if index is None:
                return
            try:
                guarded(index)
            except BaseException as exc:  # pylint: disable=broad-except
                fatal.append(exc)

    if workers <= 1 or len(items) <= 1:
        for index in range(len(items)):
            guarded(index)
        return results
    threads = [threading.Thread(target=worker) for _count in range(min(workers, len(items)))]
    for thread in threads:
        thread.daemon = True
        thread.start()
    for thread in threads:
        thread.join()
    if fatal:
        raise fatal[0]
    return results
