-- Deterministic benchmark data (bench/run loads it after the server has applied migrations and
-- registered the bench user :'bench_user'): one organisation, 2,000 people, 1,000 projects,
-- 10,000 project memberships (the bench user leads every project), 20,000 milestones and
-- 200,000 activities. Ids are md5 hashes of fixed names, so every run builds the same rows.
\set ON_ERROR_STOP on
BEGIN;

INSERT INTO orgs (id, name, slug, version, created_at, updated_at)
VALUES (md5('org')::uuid, 'Bench Association', 'bench-association', 1, now(), now());

INSERT INTO users (id, email, display_name, password_hash, created_at, updated_at)
SELECT md5('user' || u)::uuid, 'person' || u || '@bench.example', 'Person ' || u,
       'not-a-hash: these people never log in', now(), now()
FROM generate_series(1, 2000) AS u;

-- People 1..1200 are the organisation's staff; 1201..2000 are consultants.
INSERT INTO org_members (org_id, user_id, role, created_at)
SELECT md5('org')::uuid, md5('user' || u)::uuid, 'member', now()
FROM generate_series(1, 1200) AS u;
INSERT INTO org_members (org_id, user_id, role, created_at)
VALUES (md5('org')::uuid, :'bench_user', 'member', now());

INSERT INTO projects (id, org_id, name, status, start_date, version, created_at, updated_at)
SELECT md5('project' || p)::uuid, md5('org')::uuid, 'Project ' || p, 'in_progress',
       current_date - 365, 1, now(), now()
FROM generate_series(1, 1000) AS p;

-- Ten members a project: the bench user (staff lead), five staff, four consultants.
INSERT INTO project_members (id, project_id, user_id, role, is_lead, weekly_quarter_hours,
                             version, joined_at)
SELECT md5('member' || p || '-' || j)::uuid, md5('project' || p)::uuid,
       CASE WHEN j = 1 THEN :'bench_user'::uuid
            WHEN j <= 6 THEN md5('user' || (1 + (p * 6 + j) % 1200))::uuid
            ELSE md5('user' || (1201 + (p * 4 + j) % 800))::uuid END,
       CASE WHEN j <= 6 THEN 'staff' ELSE 'consultant' END,
       j = 1, 32, 1, now() - interval '365 days'
FROM generate_series(1, 1000) AS p, generate_series(1, 10) AS j;

INSERT INTO milestones (id, project_id, title, knowledge_area, stage, stage_entered_at,
                        staff_owner_id, consultant_id, due_date, version, created_at, updated_at)
SELECT md5('milestone' || p || '-' || m)::uuid, md5('project' || p)::uuid,
       'Milestone ' || m, 'area ' || (m % 7),
       (ARRAY['planned', 'consultant_led', 'shadowing', 'reverse_shadowing',
              'ready_for_signoff', 'handed_off'])[1 + m % 6],
       now() - interval '30 days',
       md5('user' || (1 + (p * 6 + 2 + m % 5) % 1200))::uuid,
       md5('user' || (1201 + (p * 4 + 7 + m % 4) % 800))::uuid,
       current_date + (m * 7), 1, now(), now()
FROM generate_series(1, 1000) AS p, generate_series(1, 20) AS m;

INSERT INTO activities (id, project_id, user_id, party, occurred_on, quarter_hours, kind,
                        milestone_id, created_at)
SELECT md5('activity' || p || '-' || a)::uuid, md5('project' || p)::uuid,
       CASE WHEN a % 10 < 6 THEN md5('user' || (1 + (p * 6 + 2 + a % 5) % 1200))::uuid
            ELSE md5('user' || (1201 + (p * 4 + 7 + a % 4) % 800))::uuid END,
       CASE WHEN a % 10 < 6 THEN 'staff' ELSE 'consultant' END,
       current_date - (a % 120), 1 + a % 16,
       (ARRAY['execution', 'training', 'shadowing', 'testing', 'planning'])[1 + a % 5],
       md5('milestone' || p || '-' || (1 + a % 20))::uuid, now()
FROM generate_series(1, 1000) AS p, generate_series(1, 200) AS a;

COMMIT;
VACUUM ANALYZE;
