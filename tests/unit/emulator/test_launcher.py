"""The CLI as a subprocess (tests.emulator.launcher): URL line, SIGTERM, state file + restart,
CLI fault flags, TLS."""

import os
import shutil
import subprocess
import sys

import pytest
import requests

from tests.emulator.launcher import REPO_ROOT, start_emulator
from tests.unit.emulator._helpers import ADMIN, GROUP, KEY, MILLION, Client


def test_url_line_and_sigterm():
    proc = subprocess.Popen([sys.executable, "-m", "tests.emulator", "--host", "127.0.0.1", "--port", "0",
                             "--sdkappid", "1400000000", "--secret-key", KEY], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline().decode()
        assert line.startswith("http://127.0.0.1:") and line.endswith("\n")
        url = line.strip()
        assert requests.get(url + "/_emulator/health", timeout=5).json()["ok"] is True
        proc.terminate()
        out, err = proc.communicate(timeout=10)
        assert proc.returncode == 0
        assert out == b""  # exactly one stdout line in total
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_state_file_survives_restart(tmp_path):
    path = str(tmp_path / "state.json")
    with start_emulator(secret_key=KEY, state_file=path) as emu:
        c = Client(emu.url)
        gid = c.community("@TGS#_persist")
        tid = c.topic("create_topic", {"GroupId": gid, "TopicName": "kept", "Introduction": "\u8bdd"})["TopicId"]
        c.call(GROUP + "/import_topic", {"GroupId": gid, "TopicName": "old", "CreateTime": 1000})
        assert os.path.exists(path)
        url = emu.url
        emu.restart()
        assert emu.url == url  # same port
        c = Client(emu.url)
        items = c.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["TopicAndSelfInfo"]
        assert [i["TopicInfo"]["TopicName"] for i in items] == ["kept", "old"]
        assert items[0]["TopicInfo"]["TopicId"] == tid and items[0]["TopicInfo"]["Introduction"] == "\u8bdd"
        assert items[1]["TopicInfo"]["CreateTime"] == 1000
        assert emu.stop() == 0
    assert not [f for f in os.listdir(str(tmp_path)) if f.startswith(".emulator-state-")]  # no tmp left


def test_cli_faults_admins_and_runtime_config():
    with start_emulator(secret_key=KEY, admin=["administrator", "ops"], error_rate={"70169": 1.0},
                        rate_limit=0, seed=1, verbose=True) as emu:
        c = Client(emu.url, identifier="ops")
        assert c.call(GROUP + "/create_group", {"Type": "Community", "Name": "x"})["ErrorCode"] == 70169
        assert emu.config()["error_rates"] == {"70169": 1.0}
        emu.configure(error_rates={})
        gid = c.community()
        assert c.topic("get_topic", {"GroupId": gid, "From_Account": "ops"})["ErrorCode"] == 0
        stats = emu.stats()
        assert stats["faults"]["error"] == 1 and stats["calls"][GROUP + "/create_group"] == 2
        assert emu.requests()[-1]["command"] == "get_topic"
        emu.reset()
        assert emu.state()["groups"] == [] and emu.stats()["calls"] == {}
    log = emu.log()
    assert "usersig=REDACTED" in log and c.sig not in log  # --verbose never prints the sig


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl CLI not available")
def test_tls(tmp_path):
    cert, key = str(tmp_path / "cert.pem"), str(tmp_path / "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    with start_emulator(secret_key=KEY, tls_cert=cert, tls_key=key) as emu:
        assert emu.url.startswith("https://127.0.0.1:")
        c = Client(emu.url)
        c.session.verify = cert
        c.session.trust_env = False  # REQUESTS_CA_BUNDLE would override session.verify
        gid = c.community()
        for _attempt in range(3):  # keep-alive over TLS
            assert c.topic("get_topic", {"GroupId": gid, "From_Account": ADMIN})["ErrorCode"] == 0
        with pytest.raises(requests.exceptions.SSLError):
            requests.post(emu.url + "/v4/%s/get_topic" % MILLION, data="{}", timeout=5)  # untrusted cert
