-- Interviews with a purpose (design.md, Behaviour): the interviews people
-- plan. A plan never counts toward a quota (only captured interviews do); it
-- brings its planner the customer's brief on the morning of the interview,
-- and one reminder 24 hours after the planned time when nothing was captured.
-- The moments are worked out in the workspace's zone when the plan is made.
create table planned_interviews (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    customer_id       integer not null,
    planner           text not null,             -- Slack user id of whoever plans it
    planned_date      text not null,             -- YYYY-MM-DD in the workspace's zone
    planned_time      text,                      -- HH:MM, when given
    brief_at          integer not null,          -- unix ms: 09:00 on the planned date
    brief_until       integer not null,          -- unix ms: the end of that day (a brief later is no use)
    remind_at         integer not null,          -- unix ms: 24 hours after the planned time
    brief_queued_at   integer,                   -- set once, when the brief is queued
    reminded_at       integer,                   -- set once, when the reminder is queued or found not needed
    created_at        integer not null,
    constraint planned_interviews_scope_unique unique (workspace_id, id),
    constraint planned_interviews_one_per_day unique (workspace_id, planner, customer_id, planned_date),
    foreign key (workspace_id, customer_id) references customers (workspace_id, id) on delete cascade
);
-- "My planned interviews", soonest first.
create index planned_interviews_by_planner on planned_interviews (workspace_id, planner, planned_date);
-- The scheduler's questions: which briefs and reminders fall due.
create index planned_interviews_brief_due on planned_interviews (brief_at) where brief_queued_at is null;
create index planned_interviews_reminder_due on planned_interviews (remind_at) where reminded_at is null;
