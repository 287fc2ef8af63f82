-- Interviews with a customer who was forgotten at their request (design.md,
-- Behaviour: Privacy): the interview rows are deleted with everything else
-- about the customer, and one row per interview is kept here, without the
-- customer, so onboarding counts stay as they were counted.
create table forgotten_interviews (
    id                integer primary key,
    workspace_id      text not null references workspaces (id) on delete cascade,
    interviewer       text not null,             -- Slack user id
    interview_date    text not null,             -- YYYY-MM-DD
    created_at        integer not null
);
create index forgotten_interviews_by_interviewer on forgotten_interviews (workspace_id, interviewer, interview_date);
