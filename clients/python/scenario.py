"""The integrator's scenario through a client generated from the served OpenAPI document
(openapi-python-client), with no hand-written HTTP: register, an organisation, a project created
by API key with an external id, staff and consultant participants, a milestone up the ladder to
sign-off, activities, readiness, the event feed resumed from a cursor, and a webhook delivery
verified with the Standard Webhooks library.

Run by clients/run, which generates `buyin_client` here, checks this file with `mypy --strict`
and runs it against a server started with BUYIN_WEBHOOK_ALLOW_PRIVATE=true.
"""

from __future__ import annotations

import datetime
import json
import os
import queue
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, TypeVar
from uuid import UUID

from standardwebhooks.webhooks import Webhook

from buyin_client import AuthenticatedClient, Client
from buyin_client.api.actions import create_action
from buyin_client.api.activities import log_activity
from buyin_client.api.api_keys import create_key
from buyin_client.api.auth import accept_invitation, login, register
from buyin_client.api.events import org_events
from buyin_client.api.milestones import (
    create_milestone,
    sync_milestones,
    transition,
    update_criterion,
)
from buyin_client.api.organisations import add_org_member, create_org
from buyin_client.api.project_members import add_project_member, list_project_members
from buyin_client.api.projects import create_project, update_project
from buyin_client.api.readiness import get_readiness
from buyin_client.api.test_scripts import create_test_script, record_test_run
from buyin_client.api.webhooks import create_webhook, ping_webhook
from buyin_client.models import (
    Action,
    ActionStatus,
    ActivityKind,
    AddOrgMember,
    AddProjectMember,
    CreateAction,
    CreateApiKey,
    CreateMilestone,
    CreateOrg,
    CreateProject,
    CreateTestRun,
    CreateTestScript,
    CreateWebhook,
    ItemStatus,
    EventWebhookPayload,
    KeyScope,
    LogActivity,
    LoginRequest,
    MilestoneSignedOffEvent,
    OrgRole,
    OutsideParty,
    Problem,
    ProjectRole,
    ProjectStatus,
    ScriptBlocker,
    RegisterRequest,
    TestResult,
    UpdateProject,
    WaitingOnBody,
    WaitingOnView,
    Stage,
    SyncMilestone,
    SyncMilestones,
    TransitionRequest,
    UpdateCriterion,
)
from buyin_client.types import UNSET, Response

BASE = os.environ.get("BUYIN_URL", "http://127.0.0.1:8080")
RUN = format(int(time.time() * 1000), "x")
PASSWORD = "correct horse battery staple"
T = TypeVar("T")


def ok(step: str, response: Response[T | Problem]) -> T:
    """The parsed body of a successful answer, or a failure naming the step and the problem."""
    parsed = response.parsed
    if int(response.status_code) >= 300 or parsed is None or isinstance(parsed, Problem):
        raise SystemExit(f"{step}: {int(response.status_code)} {response.content!r}")
    print(f"ok   {step} ({int(response.status_code)})")
    return parsed


def check(what: str, condition: bool) -> None:
    if not condition:
        raise SystemExit(f"check failed: {what}")
    print(f"ok   {what}")


class Person:
    def __init__(self, name: str) -> None:
        anonymous = Client(base_url=BASE)
        self.email = f"{name}-{RUN}@example.org"
        body = RegisterRequest(email=self.email, password=PASSWORD, display_name=name)
        self.id = ok(f"register {name}", register.sync_detailed(client=anonymous, body=body)).id
        tokens = ok(
            f"log in {name}",
            login.sync_detailed(client=anonymous, body=LoginRequest(email=self.email, password=PASSWORD)),
        )
        self.client = AuthenticatedClient(base_url=BASE, token=tokens.access_token)


class Receiver:
    """Receives deliveries on a loopback port, one queue entry (body, headers) each."""

    def __init__(self) -> None:
        self.deliveries: queue.Queue[tuple[str, dict[str, str]]] = queue.Queue()
        deliveries = self.deliveries

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
                body = self.rfile.read(int(self.headers["content-length"])).decode()
                self.send_response(204)
                self.end_headers()
                deliveries.put((body, {k.lower(): v for k, v in self.headers.items()}))

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/buyin"

    def next_verified(self, secret: str) -> dict[str, Any]:
        body, headers = self.deliveries.get(timeout=30)
        verified: dict[str, Any] = Webhook(secret).verify(body, headers)
        return verified


def main() -> None:
    lead, staff, consultant = Person("lead"), Person("staff"), Person("consultant")

    org = ok("create the organisation", create_org.sync_detailed(
        client=lead.client, body=CreateOrg(name=f"Acme Association {RUN}")))
    key = ok("create a write API key", create_key.sync_detailed(
        org.id, client=lead.client, body=CreateApiKey(name="AMS sync", scope=KeyScope.WRITE)))
    vendor = AuthenticatedClient(base_url=BASE, token=key.secret)
    invitation = ok("invite the staff member", add_org_member.sync_detailed(
        org.id, client=lead.client, body=AddOrgMember(role=OrgRole.MEMBER, email=staff.email)))
    ok("the staff member accepts", accept_invitation.sync_detailed(invitation.id, client=staff.client))

    receiver = Receiver()
    hook = ok("register a webhook", create_webhook.sync_detailed(
        org.id, client=lead.client,
        body=CreateWebhook(url=receiver.url, event_types=["milestone.signed_off"])))

    project = ok("create the project by API key", create_project.sync_detailed(
        org.id, client=vendor,
        body=CreateProject(name="Move to the new AMS", external_source="newams",
                           external_id=f"P-{RUN}", lead_user_id=lead.id)))
    check("the project keeps its external id", project.external_id == f"P-{RUN}")
    again = create_project.sync_detailed(
        org.id, client=vendor,
        body=CreateProject(name="Duplicate", external_source="newams",
                           external_id=f"P-{RUN}", lead_user_id=lead.id))
    check("a second project with that external id is 409",
          int(again.status_code) == 409 and isinstance(again.parsed, Problem)
          and again.parsed.code == "external_id_taken")

    ok("add the staff participant", add_project_member.sync_detailed(
        project.id, client=lead.client,
        body=AddProjectMember(role=ProjectRole.STAFF, user_id=staff.id, weekly_hours=8)))
    ok("add the consultant", add_project_member.sync_detailed(
        project.id, client=lead.client,
        body=AddProjectMember(role=ProjectRole.CONSULTANT, user_id=consultant.id)))
    members = ok("list the participants", list_project_members.sync_detailed(project.id, client=lead.client))
    check("three participants", len(members.items) == 3)

    # The vendor syncs its plan in one call, twice: the second changes nothing.
    plan = SyncMilestones(items=[
        SyncMilestone(external_source="newams", external_id=f"M-{n}", title=title,
                      knowledge_area=area)
        for n, (title, area) in enumerate([("Run the renewals", "membership renewals"),
                                           ("Publish the event calendar", "events")])
    ])
    synced = ok("sync the vendor's milestones", sync_milestones.sync_detailed(
        project.id, client=vendor, body=plan))
    check("both are created", [i.status for i in synced.items] == [ItemStatus.CREATED] * 2)
    resynced = ok("sync them again", sync_milestones.sync_detailed(
        project.id, client=vendor, body=plan))
    check("nothing changed", resynced.unchanged == 2 and resynced.created == 0)

    milestone = ok("create a milestone", create_milestone.sync_detailed(
        project.id, client=lead.client,
        body=CreateMilestone(title="Run the dues invoicing", knowledge_area="dues invoicing",
                             staff_owner_id=staff.id, consultant_id=consultant.id,
                             acceptance_criteria=["One month of invoices sent without help"])))

    def move(who: Person, action: Action) -> Stage:
        moved = ok(f"{action} the milestone", transition.sync_detailed(
            project.id, milestone.id, client=who.client, body=TransitionRequest(action=action)))
        return moved.stage

    for _ in range(3):
        move(consultant, Action.ADVANCE)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    ok("the staff owner logs hands-on hours", log_activity.sync_detailed(
        project.id, client=staff.client,
        body=LogActivity(occurred_on=today, hours=2, kind=ActivityKind.EXECUTION, milestone_id=milestone.id)))
    ok("the consultant logs review hours", log_activity.sync_detailed(
        project.id, client=consultant.client,
        body=LogActivity(occurred_on=today, hours=1, kind=ActivityKind.SHADOWING, milestone_id=milestone.id)))
    ok("tick the acceptance criterion", update_criterion.sync_detailed(
        project.id, milestone.id, milestone.criteria[0].id, client=staff.client, body=UpdateCriterion(done=True)))
    move(staff, Action.ADVANCE)
    check("the milestone is handed off", move(staff, Action.SIGN_OFF) == Stage.HANDED_OFF)

    report = ok("read the readiness report", get_readiness.sync_detailed(project.id, client=lead.client))
    check("readiness is model 2 with a score", report.model == 2 and isinstance(report.score, int))

    # The meeting's agreed action waits on the vendor; the staff test before go-live.
    action = ok("record an agreed action", create_action.sync_detailed(
        project.id, client=lead.client,
        body=CreateAction(title="Send the vendor the invoice template", owner_id=staff.id,
                          waiting_on=WaitingOnBody(party=OutsideParty.VENDOR, name="NewAMS"))))
    check("the action is open and waits on the vendor",
          action.status == ActionStatus.OPEN and isinstance(action.waiting_on, WaitingOnView)
          and action.waiting_on.party == OutsideParty.VENDOR)
    script = ok("write a critical test script", create_test_script.sync_detailed(
        project.id, client=consultant.client,
        body=CreateTestScript(title="Invoice one month of dues", knowledge_area="dues invoicing",
                              steps="Run; check three.", critical=True, owner_id=staff.id)))
    live = UpdateProject(status=ProjectStatus.HYPERCARE)
    blocked = update_project.sync_detailed(project.id, client=lead.client, body=live, if_match="*")
    check("going live untested is 409 naming the script",
          int(blocked.status_code) == 409 and isinstance(blocked.parsed, Problem)
          and blocked.parsed.code == "go_live_blocked"
          and isinstance(blocked.parsed.blockers, list)
          and isinstance(blocked.parsed.blockers[0], ScriptBlocker)
          and blocked.parsed.blockers[0].script_id == script.id)
    run = ok("the staff owner runs it", record_test_run.sync_detailed(
        project.id, script.id, client=staff.client, body=CreateTestRun(result=TestResult.PASSED)))
    check("the run is the staff's", run.party == ProjectRole.STAFF)
    ok("the project goes live", update_project.sync_detailed(
        project.id, client=lead.client, body=live, if_match="*"))

    # The feed, five events at a time, resumed from each page's cursor.
    seen: list[Any] = []
    after: str | None = None
    pages = 0
    while True:
        page = ok("read a page of the event feed", org_events.sync_detailed(
            org.id, client=lead.client, limit=5, after=after if after is not None else UNSET))
        seen.extend(page.items)
        pages += 1
        if not isinstance(page.next_cursor, str):
            break
        after = page.next_cursor
    check("the feed was resumed from its cursor", pages > 1)
    check("event ids increase", all(a.id < b.id for a, b in zip(seen, seen[1:])))
    signed = [e for e in seen if isinstance(e, MilestoneSignedOffEvent)]
    check("the feed has the sign-off as its typed event, by the staff owner",
          len(signed) == 1 and signed[0].data.signed_off_by == staff.id)

    delivery = EventWebhookPayload.from_dict(receiver.next_verified(hook.secret))
    check("the webhook delivery verifies and carries the sign-off, typed",
          isinstance(delivery.data, MilestoneSignedOffEvent)
          and delivery.data.subject_id == milestone.id)
    ok("ping the webhook", ping_webhook.sync_detailed(org.id, hook.id, client=lead.client))
    ping = receiver.next_verified(hook.secret)
    check("the ping verifies and names the webhook",
          ping["type"] == "ping" and UUID(ping["data"]["webhook_id"]) == hook.id)
    receiver.server.shutdown()
    print(json.dumps({"python scenario": "all steps passed"}))


if __name__ == "__main__":
    main()
