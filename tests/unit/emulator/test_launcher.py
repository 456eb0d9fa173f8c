"""The CLI as a subprocess (tests.emulator.launcher): URL line, SIGTERM, state file + restart,
CLI fault flags, TLS."""

import json
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


def test_new_cli_options_through_the_launcher():
    with start_emulator(secret_key=KEY, strict=True, require_accounts=True, app_defined_key=["Level", "Region"],
                        app_member_defined_key=["Badge"],
                        command_rate_limit={GROUP + "/get_appid_group_list": 2}) as emu:
        cfg = emu.config()
        assert cfg["strict"] is True and cfg["require_accounts"] is True
        assert cfg["app_defined_keys"] == ["Level", "Region"] and cfg["app_member_defined_keys"] == ["Badge"]
        assert cfg["command_rate_limits"] == {GROUP + "/get_appid_group_list": 2}
        c = Client(emu.url)
        out = c.group("create_group", {"Type": "Community", "Name": "c", "Bogus": 1})
        assert out["ErrorCode"] == 10004 and "Bogus" in out["ErrorInfo"]                      # --strict
        out = c.group("create_group", {"Type": "Community", "Name": "c", "Owner_Account": "carol"})
        assert out["ErrorCode"] == 10019                                                       # --require-accounts
        out = c.group("create_group", {"Type": "Community", "Name": "c",
                                       "AppDefinedData": [{"Key": "Region", "Value": "eu"}]})
        assert out["ErrorCode"] == 0                                                           # --app-defined-key
        codes = [c.call(GROUP + "/get_appid_group_list", {})["ErrorCode"] for _call in range(3)]
        assert codes == [0, 0, 10006]                                                          # --command-rate-limit


def test_bad_new_cli_options_do_not_start(tmp_path):
    for args in (["--app-defined-key", "bad-key"], ["--command-rate-limit", "nonsense"],
                 ["--command-rate-limit", "nope/cmd=1"]):
        proc = subprocess.run([sys.executable, "-m", "tests.emulator", "--port", "0", "--secret-key", KEY] + args,
                              cwd=REPO_ROOT, capture_output=True, timeout=30, check=False)
        assert proc.returncode != 0 and proc.stdout == b"", args


def test_groups_and_accounts_survive_restart(tmp_path):
    path = str(tmp_path / "state.json")
    with start_emulator(secret_key=KEY, state_file=path, app_defined_key=["Level"],
                        command_rate_limit={GROUP + "/get_appid_group_list": 0}) as emu:
        c = Client(emu.url)
        assert c.login("account_import", {"UserID": "leckie", "Nick": "L"})["ErrorCode"] == 0
        gid = c.group("create_group", {"Type": "Community", "Name": "c", "Owner_Account": "leckie",
                                       "Introduction": "\u8bdd", "AppDefinedData": [{"Key": "Level", "Value": "3"}],
                                       "MemberList": [{"Member_Account": "bob", "Role": "Admin"}]})["GroupId"]
        c.group("modify_group_base_info", {"GroupId": gid, "MuteAllMember": "On", "MaxMemberNum": 300})
        before = c.group_info(gid)
        emu.restart()
        c = Client(emu.url)
        assert c.group_info(gid) == before
        assert c.login("account_check", {"CheckItem": [{"UserID": "leckie"}]})["ResultItem"][0]["AccountStatus"] == \
            "Imported"
        other = c.group("create_group", {"Type": "Public", "Name": "p"})["GroupId"]
        listed = c.call(GROUP + "/get_appid_group_list", {"Limit": 1})
        assert listed["GroupIdList"] == [{"GroupId": gid}] and listed["TotalCount"] == 2
        rest = c.call(GROUP + "/get_appid_group_list", {"Next": listed["Next"]})
        # the listing position counter was saved too: the new group comes after the loaded one
        assert rest["GroupIdList"] == [{"GroupId": other}] and rest["Next"] == 0


def test_version_1_state_file_loads_with_defaults(tmp_path):
    path = tmp_path / "state.json"
    path.write_text(json.dumps({"version": 1, "groups": [
        {"GroupId": "@TGS#_old", "Type": "Community", "Owner_Account": "", "SupportTopic": 1, "CreateTime": 1000,
         "Introduction": "", "Notification": "", "FaceUrl": "", "Name": "old",
         "Topics": [{"TopicId": "@TGS#_old@TOPIC#_a", "GroupID": "@TGS#_old", "TopicName": "a", "CreateTime": 1000,
                     "MuteAllMember": "Off", "NextMsgSeq": 1, "LastMsgTime": 0, "FaceUrl": "", "Notification": "",
                     "Introduction": "", "CustomString": "", "From_Account": ""}]}]}))
    with start_emulator(secret_key=KEY, state_file=str(path), command_rate_limit={GROUP + "/get_appid_group_list": 0}) \
            as emu:
        c = Client(emu.url)
        info = c.group_info("@TGS#_old")
        assert info["Name"] == "old" and info["CreateTime"] == 1000 and info["MaxMemberNum"] == 100000
        assert info["MemberList"] == [] and info["AppDefinedData"] == []
        listed = c.call(GROUP + "/get_appid_group_list", {})
        assert listed["GroupIdList"] == [{"GroupId": "@TGS#_old"}]
        items = c.topic("get_topic", {"GroupId": "@TGS#_old", "From_Account": ADMIN})["TopicAndSelfInfo"]
        assert [i["TopicInfo"]["TopicName"] for i in items] == ["a"]
