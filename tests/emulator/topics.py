"""Topic commands (seeds 000-003, reference/destroy-topic.md, import-topic.md): the handlers around
the topic model in state.py, with the callbacks of callback-*.md."""

from . import callbacks as cb
from .api import GROUP_SVC, LIST, MILLION_SVC, SCALAR, command
from .state import ApiError

# Request fields as the pages document them (strict mode allows exactly these).
CREATE_TOPIC_FIELDS = dict.fromkeys(("GroupId", "TopicId", "TopicName", "From_Account", "CustomString",
                                     "FaceUrl", "Notification", "Introduction"), SCALAR)
IMPORT_TOPIC_FIELDS = dict(CREATE_TOPIC_FIELDS, Type=SCALAR, CreateTime=SCALAR)
GET_TOPIC_FIELDS = {"GroupId": SCALAR, "From_Account": SCALAR, "TopicIdList": LIST, "ResponseFilter": LIST}
MODIFY_TOPIC_FIELDS = dict.fromkeys(("GroupId", "TopicId", "TopicName", "From_Account", "CustomString",
                                     "FaceUrl", "Notification", "Introduction", "MuteAllMember"), SCALAR)
DESTROY_TOPIC_FIELDS = {"GroupId": SCALAR, "TopicIdList": LIST}


def create_topic(app, body, request):
    s = app.state
    prepared = s.prepare_topic(body)
    operator = prepared["From_Account"] or request.identifier
    refusal = app.callbacks.before_create_topic(operator, prepared["TopicName"], request.client_ip)
    if refusal is not None:
        raise ApiError(refusal[0], refusal[1])
    rec = s.commit_topic(prepared)
    app.callbacks.after(cb.AFTER_CREATE_TOPIC, {
        "GroupId": rec["GroupID"], "TopicId": rec["TopicId"], "Operator_Account": operator,
        "Owner_Account": prepared.get("_Owner_Account", ""), "Type": "Community",
        "Name": rec["TopicName"]}, request.client_ip)
    return {"TopicId": rec["TopicId"]}, True


def import_topic(app, body, request):
    s = app.state
    rec = s.commit_topic(s.prepare_topic(body, is_import=True))
    return {"TopicId": rec["TopicId"]}, True


def get_topic(app, body, request):
    return app.state.get_topic(body)[0], False


def modify_topic(app, body, request):
    resp, changed = app.state.modify_topic(body)
    if changed:
        payload = {"GroupId": body["GroupId"], "TopicId": body["TopicId"], "Type": "Community",
                   "Operator_Account": str(body.get("From_Account") or request.identifier)}
        for key, val in changed.items():
            payload["Name" if key == "TopicName" else key] = val
        app.callbacks.after(cb.AFTER_TOPIC_INFO_CHANGED, payload, request.client_ip)
    return resp, bool(changed)


def destroy_topic(app, body, request):
    resp, destroyed = app.state.destroy_topic(body)
    if destroyed:
        app.callbacks.after(cb.AFTER_TOPIC_DESTROYED, {
            "GroupId": body["GroupId"], "Type": "Community", "TopicIdList": destroyed}, request.client_ip)
    return resp, bool(destroyed)


COMMANDS = {
    (MILLION_SVC, "create_topic"): command(create_topic, True, CREATE_TOPIC_FIELDS),
    (MILLION_SVC, "get_topic"): command(get_topic, False, GET_TOPIC_FIELDS),
    (MILLION_SVC, "modify_topic"): command(modify_topic, True, MODIFY_TOPIC_FIELDS),
    (MILLION_SVC, "destroy_topic"): command(destroy_topic, True, DESTROY_TOPIC_FIELDS),
    # seed 001 gives group_open_http_svc, a newer page million_group_open_http_svc: both are served
    (GROUP_SVC, "import_topic"): command(import_topic, True, IMPORT_TOPIC_FIELDS),
    (MILLION_SVC, "import_topic"): command(import_topic, True, IMPORT_TOPIC_FIELDS),
}
