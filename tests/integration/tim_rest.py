# -*- coding: utf-8 -*-
"""A tiny REST client for test set-up (making communities, drifting topics behind the modules' back).

Independent of plugins/: it signs with Tencent's own TLSSigAPIv2, so test set-up does not trust the
code under test.
"""
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import random
import urllib.parse
import urllib.request

import TLSSigAPIv2


class RestClient:
    def __init__(self, url, sdkappid, secret_key, identifier="administrator"):
        self.url = url.rstrip("/")
        self.sdkappid = sdkappid
        self.identifier = identifier
        self.usersig = TLSSigAPIv2.TLSSigAPIv2(sdkappid, secret_key).gen_sig(identifier, 3600)

    def call(self, api, body):
        query = urllib.parse.urlencode(dict(sdkappid=self.sdkappid, identifier=self.identifier, usersig=self.usersig,
                                            random=random.randint(0, 4294967295), contenttype="json"))
        request = urllib.request.Request("%s/v4/%s?%s" % (self.url, api, query), data=json.dumps(body).encode(),
                                         headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read().decode("utf-8"))

    def create_community(self, group_id=None, name="test community", support_topic=1):
        body = dict(Type="Community", Name=name, SupportTopic=support_topic)
        if group_id:
            body["GroupId"] = group_id
        answer = self.call("group_open_http_svc/create_group", body)
        assert answer["ErrorCode"] == 0, answer
        return answer["GroupId"]

    def create_topic(self, group_id, name, api="million_group_open_http_svc/create_topic", **fields):
        body = dict(GroupId=group_id, TopicName=name)
        body.update(fields)
        answer = self.call(api, body)
        assert answer["ErrorCode"] == 0, answer
        return answer["TopicId"]

    def import_topic(self, group_id, name, **fields):
        return self.create_topic(group_id, name, api="group_open_http_svc/import_topic", **fields)

    def modify_topic(self, group_id, topic_id, **fields):
        body = dict(GroupId=group_id, TopicId=topic_id)
        body.update(fields)
        answer = self.call("million_group_open_http_svc/modify_topic", body)
        assert answer["ErrorCode"] == 0, answer

    def topics(self, group_id):
        body = dict(GroupId=group_id, From_Account=self.identifier)
        answer = self.call("million_group_open_http_svc/get_topic", body)
        assert answer["ErrorCode"] == 0, answer
        return [item["TopicInfo"] for item in answer["TopicAndSelfInfo"] if item["ErrorCode"] == 0]
