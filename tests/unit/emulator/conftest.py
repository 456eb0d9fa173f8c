"""Fixtures for the emulator tests.  The emulator is started in-process (fast) for API tests and as
a subprocess (tests.emulator.launcher) for CLI / state-file / TLS tests.  UserSigs are made with
Tencent's TLSSigAPIv2 (the oracle), never with the emulator's own code."""

import pytest

from tests.unit.emulator._helpers import InProcessEmulator


@pytest.fixture
def make_emu():
    started = []

    def factory(**kw):
        emu = InProcessEmulator(**kw)
        started.append(emu)
        return emu

    yield factory
    for emu in started:
        emu.stop()


@pytest.fixture
def emu(make_emu):
    return make_emu()


@pytest.fixture
def client(emu):
    return emu.client()


@pytest.fixture
def gid(client):
    return client.community()
