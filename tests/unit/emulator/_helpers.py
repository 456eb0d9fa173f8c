"""Shared helpers for the emulator tests (imported as tests.unit.emulator._helpers)."""

import json
import threading

import requests
from TLSSigAPIv2 import TLSSigAPIv2

from tests.emulator.server import Emulator, make_server

SDKAPPID = 1400000000
KEY = "test-secret-key-0123456789abcdef"
ADMIN = "administrator"
MILLION = "million_group_open_http_svc"
GROUP = "group_open_http_svc"
LOGIN = "im_open_login_svc"
LIST_GROUPS = GROUP + "/get_appid_group_list"


def gen_sig(identifier=ADMIN, sdkappid=SDKAPPID, key=KEY, expire=3600):
    return TLSSigAPIv2(sdkappid, key).gen_sig(identifier, expire)


class Client(object):
    """Minimal TIM REST client for the tests (one requests.Session = keep-alive)."""

    def __init__(self, url, identifier=ADMIN, sdkappid=SDKAPPID, key=KEY):
        self.url = url
        self.identifier = identifier
        self.sdkappid = sdkappid
        self.sig = gen_sig(identifier, sdkappid, key)
        self.session = requests.Session()
        self.random = 0

    def post(self, path, body=None, raw=None, query=None, timeout=10):
        self.random += 1
        params = {"sdkappid": str(self.sdkappid), "identifier": self.identifier, "usersig": self.sig,
                  "random": str(self.random), "contenttype": "json"}
        if query is not None:
            params.update(query)
            params = dict((k, v) for k, v in params.items() if v is not None)
        data = raw if raw is not None else json.dumps(body if body is not None else {}).encode("utf-8")
        return self.session.post("%s/v4/%s" % (self.url, path), params=params, data=data, timeout=timeout)

    def call(self, path, body=None, **kw):
        resp = self.post(path, body, **kw)
        assert resp.status_code == 200, resp.text
        return resp.json()

    def topic(self, command, body):
        return self.call("%s/%s" % (MILLION, command), body)

    def group(self, command, body):
        return self.call("%s/%s" % (GROUP, command), body)

    def login(self, command, body):
        return self.call("%s/%s" % (LOGIN, command), body)

    def group_info(self, group_id, **body):
        """The GroupInfo item of one group (get_group_info)."""
        out = self.group("get_group_info", dict(body, GroupIdList=[group_id]))
        assert out["ErrorCode"] == 0, out
        [item] = out["GroupInfo"]
        return item

    def community(self, group_id=None, support_topic=1, name="community"):
        body = {"Type": "Community", "Name": name, "SupportTopic": support_topic}
        if group_id:
            body["GroupId"] = group_id
        out = self.call(GROUP + "/create_group", body)
        assert out["ErrorCode"] == 0, out
        return out["GroupId"]

    def admin(self, method, name, payload=None):
        resp = self.session.request(method, "%s/_emulator/%s" % (self.url, name),
                                    data=json.dumps(payload).encode() if payload is not None else None)
        assert resp.status_code == 200, resp.text
        return resp.json()


class InProcessEmulator(object):
    def __init__(self, **kw):
        admins = kw.pop("admins", [ADMIN])
        state_file = kw.pop("state_file", None)
        self.app = Emulator(SDKAPPID, KEY, admins=admins, state_file=state_file, **kw)
        self.server, self.url = make_server("127.0.0.1", 0, self.app)
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def client(self, **kw):
        return Client(self.url, **kw)

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.app.callbacks.stop()
