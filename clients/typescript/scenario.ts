// The integrator's scenario through a client generated from the served OpenAPI document
// (openapi-typescript + openapi-fetch), with no hand-written HTTP: register, an organisation, a
// project created by API key with an external id, staff and consultant participants, a
// milestone up the ladder to sign-off, activities, readiness, the event feed resumed from a
// cursor, and a webhook delivery verified with the Standard Webhooks library.
//
// Run by clients/run, which generates schema.d.ts, compiles this with `tsc --strict` and runs it
// against a server started with BUYIN_WEBHOOK_ALLOW_PRIVATE=true.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import createClient from "openapi-fetch";
import { Webhook } from "standardwebhooks";
import type { components, paths } from "./schema.js";

type EventResponse = components["schemas"]["EventResponse"];
type EventWebhookPayload = components["schemas"]["EventWebhookPayload"];
type PingWebhookPayload = components["schemas"]["PingWebhookPayload"];

const api = createClient<paths>({ baseUrl: process.env.BUYIN_URL ?? "http://127.0.0.1:8080" });

/** The body of a successful answer, or a failure naming the step and the problem. */
function ok<T>(step: string, result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) {
    throw new Error(`${step}: ${result.response.status} ${JSON.stringify(result.error)}`);
  }
  console.log(`ok   ${step} (${result.response.status})`);
  return result.data;
}

function check(what: string, condition: boolean): void {
  if (!condition) throw new Error(`check failed: ${what}`);
  console.log(`ok   ${what}`);
}

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const run = Date.now().toString(36);
const password = "correct horse battery staple";

async function person(name: string) {
  const email = `${name}-${run}@example.org`;
  const user = ok(`register ${name}`, await api.POST("/api/v1/auth/register", {
    body: { email, password, display_name: name },
  }));
  const tokens = ok(`log in ${name}`, await api.POST("/api/v1/auth/login", { body: { email, password } }));
  return { id: user.id, email, auth: bearer(tokens.access_token) };
}

/** Receives deliveries on a loopback port; `next()` waits for the next one. */
function receiver() {
  const waiting: Array<(d: { body: string; headers: IncomingHttpHeaders }) => void> = [];
  const arrived: Array<{ body: string; headers: IncomingHttpHeaders }> = [];
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      res.writeHead(204).end();
      const delivery = { body, headers: req.headers };
      const take = waiting.shift();
      if (take) take(delivery);
      else arrived.push(delivery);
    });
  });
  return {
    server,
    listen: () => new Promise<number>((resolve) =>
      server.listen(0, "127.0.0.1", () => resolve((server.address() as AddressInfo).port))),
    next: () => new Promise<{ body: string; headers: IncomingHttpHeaders }>((resolve, reject) => {
      const early = arrived.shift();
      if (early) return resolve(early);
      waiting.push(resolve);
      setTimeout(() => reject(new Error("no delivery within 30 s")), 30_000).unref();
    }),
  };
}

/** The delivery's body once its Standard Webhooks signature is verified (throws otherwise). */
function verified<T>(secret: string, d: { body: string; headers: IncomingHttpHeaders }): T {
  const headers: Record<string, string> = {};
  for (const name of ["webhook-id", "webhook-timestamp", "webhook-signature"]) {
    headers[name] = String(d.headers[name]);
  }
  return new Webhook(secret).verify(d.body, headers) as T;
}

async function main() {
  const lead = await person("lead");
  const staff = await person("staff");
  const consultant = await person("consultant");

  const org = ok("create the organisation", await api.POST("/api/v1/orgs", {
    headers: lead.auth, body: { name: `Acme Association ${run}` },
  }));
  const org_id = org.id;
  const key = ok("create a write API key", await api.POST("/api/v1/orgs/{org_id}/api-keys", {
    headers: lead.auth, params: { path: { org_id } }, body: { name: "AMS sync", scope: "write" },
  }));
  const invitation = ok("invite the staff member", await api.POST("/api/v1/orgs/{org_id}/members", {
    headers: lead.auth, params: { path: { org_id } }, body: { email: staff.email, role: "member" },
  }));
  ok("the staff member accepts", await api.POST("/api/v1/me/invitations/{invitation_id}/accept", {
    headers: staff.auth, params: { path: { invitation_id: invitation.id } },
  }));

  const hooks = receiver();
  const port = await hooks.listen();
  const hook = ok("register a webhook", await api.POST("/api/v1/orgs/{org_id}/webhooks", {
    headers: lead.auth, params: { path: { org_id } },
    body: { url: `http://127.0.0.1:${port}/buyin`, event_types: ["milestone.signed_off"] },
  }));

  const project = ok("create the project by API key", await api.POST("/api/v1/orgs/{org_id}/projects", {
    headers: bearer(key.secret), params: { path: { org_id } },
    body: { name: "Move to the new AMS", external_source: "newams", external_id: `P-${run}`, lead_user_id: lead.id },
  }));
  const project_id = project.id;
  check("the project keeps its external id", project.external_id === `P-${run}`);
  const again = await api.POST("/api/v1/orgs/{org_id}/projects", {
    headers: bearer(key.secret), params: { path: { org_id } },
    body: { name: "Duplicate", external_source: "newams", external_id: `P-${run}`, lead_user_id: lead.id },
  });
  check("a second project with that external id is 409", again.response.status === 409 && again.error?.code === "external_id_taken");

  ok("add the staff participant", await api.POST("/api/v1/projects/{project_id}/members", {
    headers: lead.auth, params: { path: { project_id } }, body: { user_id: staff.id, role: "staff", weekly_hours: 8 },
  }));
  ok("add the consultant", await api.POST("/api/v1/projects/{project_id}/members", {
    headers: lead.auth, params: { path: { project_id } }, body: { user_id: consultant.id, role: "consultant" },
  }));
  const members = ok("list the participants", await api.GET("/api/v1/projects/{project_id}/members", {
    headers: lead.auth, params: { path: { project_id } },
  }));
  check("three participants", members.items.length === 3);

  // The vendor syncs its plan in one call, twice: the second changes nothing.
  const plan = {
    items: [
      { external_source: "newams", external_id: "M-1", title: "Run the renewals", knowledge_area: "membership renewals" },
      { external_source: "newams", external_id: "M-2", title: "Publish the event calendar", knowledge_area: "events" },
    ],
  };
  const synced = ok("sync the vendor's milestones", await api.POST("/api/v1/projects/{project_id}/milestones/batch", {
    headers: bearer(key.secret), params: { path: { project_id } }, body: plan,
  }));
  check("both are created", synced.items.every((i) => i.status === "created" && i.resource?.external_source === "newams"));
  const resynced = ok("sync them again", await api.POST("/api/v1/projects/{project_id}/milestones/batch", {
    headers: bearer(key.secret), params: { path: { project_id } }, body: plan,
  }));
  check("nothing changed", resynced.unchanged === 2 && resynced.created === 0);

  const milestone = ok("create a milestone", await api.POST("/api/v1/projects/{project_id}/milestones", {
    headers: lead.auth, params: { path: { project_id } },
    body: {
      title: "Run the dues invoicing", knowledge_area: "dues invoicing",
      staff_owner_id: staff.id, consultant_id: consultant.id,
      acceptance_criteria: ["One month of invoices sent without help"],
    },
  }));
  const milestone_id = milestone.id;
  const move = async (who: { auth: Record<string, string> }, action: components["schemas"]["Action"]) =>
    ok(`${action} the milestone`, await api.POST("/api/v1/projects/{project_id}/milestones/{milestone_id}/transitions", {
      headers: who.auth, params: { path: { project_id, milestone_id } }, body: { action },
    }));
  for (let i = 0; i < 3; i++) await move(consultant, "advance");

  const today = new Date().toISOString().slice(0, 10);
  ok("the staff owner logs hands-on hours", await api.POST("/api/v1/projects/{project_id}/activities", {
    headers: staff.auth, params: { path: { project_id } },
    body: { occurred_on: today, hours: 2, kind: "execution", milestone_id },
  }));
  ok("the consultant logs review hours", await api.POST("/api/v1/projects/{project_id}/activities", {
    headers: consultant.auth, params: { path: { project_id } },
    body: { occurred_on: today, hours: 1, kind: "shadowing", milestone_id },
  }));
  const criterion = milestone.criteria[0];
  if (!criterion) throw new Error("the milestone has its criterion");
  ok("tick the acceptance criterion", await api.PATCH("/api/v1/projects/{project_id}/milestones/{milestone_id}/criteria/{criterion_id}", {
    headers: staff.auth,
    params: { path: { project_id, milestone_id, criterion_id: criterion.id } }, body: { done: true },
  }));
  await move(staff, "advance");
  const signed = await move(staff, "sign_off");
  check("the milestone is handed off", signed.stage === "handed_off");

  const report = ok("read the readiness report", await api.GET("/api/v1/projects/{project_id}/readiness", {
    headers: lead.auth, params: { path: { project_id } },
  }));
  check("readiness is model 2 with a score", report.model === 2 && typeof report.score === "number");

  // The meeting's agreed action waits on the vendor; the staff test before go-live.
  const action = ok("record an agreed action", await api.POST("/api/v1/projects/{project_id}/actions", {
    headers: lead.auth, params: { path: { project_id } },
    body: { title: "Send the vendor the invoice template", owner_id: staff.id, waiting_on: { party: "vendor", name: "NewAMS" } },
  }));
  check("the action waits on the vendor", action.waiting_on?.party === "vendor" && action.status === "open");
  const script = ok("write a critical test script", await api.POST("/api/v1/projects/{project_id}/test-scripts", {
    headers: consultant.auth, params: { path: { project_id } },
    body: { title: "Invoice one month of dues", knowledge_area: "dues invoicing", steps: "Run; check three.", critical: true, owner_id: staff.id },
  }));
  const blocked = await api.PATCH("/api/v1/projects/{project_id}", {
    headers: lead.auth, params: { path: { project_id }, header: { "If-Match": "*" } }, body: { status: "hypercare" },
  });
  const blocker = blocked.error?.blockers?.[0];
  check("going live untested is 409 naming the script",
    blocked.response.status === 409 && blocked.error?.code === "go_live_blocked"
      && blocker !== undefined && "script_id" in blocker && blocker.script_id === script.id);
  const testRun = ok("the staff owner runs it", await api.POST("/api/v1/projects/{project_id}/test-scripts/{script_id}/runs", {
    headers: staff.auth, params: { path: { project_id, script_id: script.id } }, body: { result: "passed" },
  }));
  check("the run is the staff's", testRun.party === "staff");
  ok("the project goes live", await api.PATCH("/api/v1/projects/{project_id}", {
    headers: lead.auth, params: { path: { project_id }, header: { "If-Match": "*" } }, body: { status: "hypercare" },
  }));

  // The feed, five events at a time, resumed from each page's cursor.
  const seen: EventResponse[] = [];
  let after: string | undefined;
  let pages = 0;
  for (;;) {
    const page: components["schemas"]["EventPage"] = ok("read a page of the event feed", await api.GET("/api/v1/orgs/{org_id}/events", {
      headers: lead.auth, params: { path: { org_id }, query: { limit: 5, ...(after ? { after } : {}) } },
    }));
    seen.push(...page.items);
    pages += 1;
    if (!page.next_cursor) break;
    after = page.next_cursor;
  }
  check("the feed was resumed from its cursor", pages > 1);
  check("event ids increase", seen.every((e, i) => i === 0 || e.id > (seen[i - 1]?.id ?? 0)));
  const signedOff = seen.find((e) => e.type === "milestone.signed_off");
  // Narrowed by the discriminator: `data` is typed for this event type.
  check("the feed has the sign-off, by the staff owner",
    signedOff?.type === "milestone.signed_off" && signedOff.data.signed_off_by === staff.id);

  const delivery = verified<EventWebhookPayload>(hook.secret, await hooks.next());
  check("the webhook delivery verifies and carries the sign-off",
    delivery.data.type === "milestone.signed_off" && delivery.data.subject_id === milestone_id);
  ok("ping the webhook", await api.POST("/api/v1/orgs/{org_id}/webhooks/{webhook_id}/ping", {
    headers: lead.auth, params: { path: { org_id, webhook_id: hook.id } },
  }));
  const ping = verified<PingWebhookPayload>(hook.secret, await hooks.next());
  check("the ping verifies and names the webhook", ping.type === "ping" && ping.data.webhook_id === hook.id);
  hooks.server.close();
  console.log("typescript scenario: all steps passed");
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
